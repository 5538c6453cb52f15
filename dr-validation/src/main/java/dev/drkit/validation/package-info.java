@NullMarked
package dev.drkit.validation;

import org.jspecify.annotations.NullMarked;
