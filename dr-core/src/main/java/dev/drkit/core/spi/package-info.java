@NullMarked
package dev.drkit.core.spi;

import org.jspecify.annotations.NullMarked;
