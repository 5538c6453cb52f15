/**
 * The config model: a service's {@link dev.drkit.core.config.RecoveryConfig} (objectives, priority,
 * dependencies, {@link dev.drkit.core.config.ValidationStep}s with their {@link dev.drkit.core.config.CheckSpec}s)
 * and its {@link dev.drkit.core.config.BackupStrategy} (type, {@link dev.drkit.core.config.CronSchedule},
 * {@link dev.drkit.core.config.RetentionPolicy}, {@link dev.drkit.core.config.EncryptionConfig}). Values are
 * immutable and checked when built; a bad value is a {@link dev.drkit.core.ConfigException} naming the field.
 */
@NullMarked
package dev.drkit.core.config;

import org.jspecify.annotations.NullMarked;
