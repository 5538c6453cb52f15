@NullMarked
package dev.drkit.replication.internal;

import org.jspecify.annotations.NullMarked;
