@NullMarked
package dev.drkit.backup;

import org.jspecify.annotations.NullMarked;
