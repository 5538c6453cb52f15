@NullMarked
package dev.drkit.micrometer;

import org.jspecify.annotations.NullMarked;
