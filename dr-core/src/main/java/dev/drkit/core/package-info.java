@NullMarked
package dev.drkit.core;

import org.jspecify.annotations.NullMarked;
