@NullMarked
package dev.drkit.spring;

import org.jspecify.annotations.NullMarked;
