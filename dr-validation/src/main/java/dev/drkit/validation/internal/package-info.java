@NullMarked
package dev.drkit.validation.internal;

import org.jspecify.annotations.NullMarked;
