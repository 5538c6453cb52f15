/**
 * drkit's core: the config model, the SPI ({@code dev.drkit.core.spi}), the failover state machine, the
 * recovery-plan orchestrator, events and the audit journal. {@code dev.drkit.core.internal.*} is not
 * exported.
 */
module dev.drkit.core {
  exports dev.drkit.core;
  exports dev.drkit.core.config;
  exports dev.drkit.core.audit;
  exports dev.drkit.core.coord;
  exports dev.drkit.core.failover;
  exports dev.drkit.core.orchestrator;
  exports dev.drkit.core.plan;
  exports dev.drkit.core.store;
  exports dev.drkit.core.spi;
  // the one thread factory (DrkitThreads) is shared with drkit's own modules only
  exports dev.drkit.core.internal to dev.drkit.backup, dev.drkit.replication, dev.drkit.validation,
      dev.drkit.zookeeper;

  requires static transitive org.jspecify;
  requires org.slf4j;
  requires com.fasterxml.jackson.core;
  requires com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.yaml;
  requires com.fasterxml.jackson.datatype.jsr310;
  requires org.yaml.snakeyaml;
  requires com.cronutils;
  requires dev.failsafe.core;

  uses dev.drkit.core.spi.KeySource;
  uses dev.drkit.core.config.CheckSpecValidator;
}
