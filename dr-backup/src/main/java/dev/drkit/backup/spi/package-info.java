@NullMarked
package dev.drkit.backup.spi;

import org.jspecify.annotations.NullMarked;
