@NullMarked
package dev.drkit.replication.spi;

import org.jspecify.annotations.NullMarked;
