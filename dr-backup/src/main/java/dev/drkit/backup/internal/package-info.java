@NullMarked
package dev.drkit.backup.internal;

import org.jspecify.annotations.NullMarked;
