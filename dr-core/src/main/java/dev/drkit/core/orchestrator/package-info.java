@NullMarked
package dev.drkit.core.orchestrator;

import org.jspecify.annotations.NullMarked;
