@NullMarked
package dev.drkit.core.failover;

import org.jspecify.annotations.NullMarked;
