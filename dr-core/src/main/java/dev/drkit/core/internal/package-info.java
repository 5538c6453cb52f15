@NullMarked
package dev.drkit.core.internal;

import org.jspecify.annotations.NullMarked;
