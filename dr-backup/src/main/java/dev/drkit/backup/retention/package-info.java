@NullMarked
package dev.drkit.backup.retention;

import org.jspecify.annotations.NullMarked;
