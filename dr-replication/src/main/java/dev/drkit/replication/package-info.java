@NullMarked
package dev.drkit.replication;

import org.jspecify.annotations.NullMarked;
