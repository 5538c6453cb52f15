@NullMarked
package dev.drkit.validation.checks;

import org.jspecify.annotations.NullMarked;
