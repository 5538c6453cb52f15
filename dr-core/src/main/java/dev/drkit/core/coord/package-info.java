@NullMarked
package dev.drkit.core.coord;

import org.jspecify.annotations.NullMarked;
