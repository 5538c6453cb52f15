@NullMarked
package dev.drkit.core.store;

import org.jspecify.annotations.NullMarked;
