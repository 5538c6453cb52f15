/**
 * Internals of plan loading: a located syntax tree read from YAML or JSON, the problem collector
 * that turns every finding into a {@link dev.drkit.core.ConfigException.Problem} with file, line,
 * column and field path, and the binder from tree to {@link dev.drkit.core.plan.RecoveryPlan}.
 * Not part of the API.
 */
@NullMarked
package dev.drkit.core.internal.config;

import org.jspecify.annotations.NullMarked;
