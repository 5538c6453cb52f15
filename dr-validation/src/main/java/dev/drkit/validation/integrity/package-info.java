@NullMarked
package dev.drkit.validation.integrity;

import org.jspecify.annotations.NullMarked;
