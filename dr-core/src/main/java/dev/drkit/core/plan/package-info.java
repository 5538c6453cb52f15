/**
 * Recovery plans: a set of {@link dev.drkit.core.config.RecoveryConfig}s with their backup strategies,
 * loaded from YAML or JSON ({@link dev.drkit.core.plan.PlanLoader}), and the
 * {@link dev.drkit.core.plan.DependencyGraph} that orders their recovery in dependency waves.
 */
@NullMarked
package dev.drkit.core.plan;

import org.jspecify.annotations.NullMarked;
