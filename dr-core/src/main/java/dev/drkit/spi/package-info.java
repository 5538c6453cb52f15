@NullMarked
package dev.drkit.spi;

import org.jspecify.annotations.NullMarked;
