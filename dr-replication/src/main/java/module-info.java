/**
 * drkit's log-based replication. {@code dev.drkit.replication.internal} is not exported.
 */
module dev.drkit.replication {
  exports dev.drkit.replication;
  exports dev.drkit.replication.spi;

  requires transitive dev.drkit.core;
  requires static transitive org.jspecify;
  requires org.slf4j;
}
