/**
 * drkit's backup repository and engine. {@code dev.drkit.backup.internal} is not exported.
 */
module dev.drkit.backup {
  exports dev.drkit.backup;
  exports dev.drkit.backup.retention;
  exports dev.drkit.backup.schedule;
  exports dev.drkit.backup.spi;

  requires transitive dev.drkit.core;
  requires static transitive org.jspecify;
  requires org.slf4j;
  requires com.fasterxml.jackson.core;
  requires com.fasterxml.jackson.databind;
  requires dev.failsafe.core;
  requires com.github.luben.zstd_jni;
}
