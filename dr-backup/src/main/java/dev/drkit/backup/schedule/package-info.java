@NullMarked
package dev.drkit.backup.schedule;

import org.jspecify.annotations.NullMarked;
