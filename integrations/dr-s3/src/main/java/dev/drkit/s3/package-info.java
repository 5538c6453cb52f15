@NullMarked
package dev.drkit.s3;

import org.jspecify.annotations.NullMarked;
