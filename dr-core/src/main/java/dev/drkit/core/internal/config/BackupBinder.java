package dev.drkit.core.internal.config;

import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.CronSchedule;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.config.RetentionPolicy;
import dev.drkit.core.internal.config.ConfigNode.MapNode;
import dev.drkit.core.plan.PlanDefaults;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Binds the backup part of a plan: a service's backup strategies (type, cron schedule, retention,
 * encryption) and the retention and encryption defaults, reporting every problem with its path
 * and position.
 */
final class BackupBinder {
  private static final List<String> BACKUP_KEYS = List.of("name", "type", "schedule", "retention", "encryption");
  private static final List<String> RETENTION_KEYS = List.of("keep-last", "keep-hourly", "keep-daily",
      "keep-weekly", "keep-monthly", "keep-yearly", "keep-within", "keep-tags");
  private static final List<String> ENCRYPTION_KEYS = List.of("algorithm", "key-source");

  private final ProblemCollector problems;
  private final NodeReader read;

  BackupBinder(ProblemCollector problems, NodeReader read) {
    this.problems = problems;
    this.read = read;
  }

  /** A backup strategy at {@code path}, or null after reporting its problems. */
  @Nullable BackupStrategy strategy(String path, ConfigNode node, PlanDefaults defaults) {
    int before = problems.count();
    MapNode m = read.map(path, node);
    if (m == null) {
      return null;
    }
    read.checkKeys(path, m, BACKUP_KEYS);
    BackupStrategy.Builder b = BackupStrategy.builder();
    b.name(read.string(path + ".name", read.field(m, "name", path)));
    ConfigNode typeNode = read.field(m, "type", path);
    String type = read.string(path + ".type", typeNode);
    if (type != null && typeNode != null) {
      try {
        b.type(BackupType.parse(type));
      } catch (ConfigException e) {
        read.addAt(path + ".type", typeNode, e);
      }
    }
    ConfigNode scheduleNode = read.field(m, "schedule", path);
    String schedule = read.string(path + ".schedule", scheduleNode);
    if (schedule != null && scheduleNode != null) {
      try {
        b.schedule(CronSchedule.parse(schedule));
      } catch (ConfigException e) {
        read.addAt(path + ".schedule", scheduleNode, e);
      }
    }
    ConfigNode retentionNode = read.field(m, "retention", path);
    RetentionPolicy retention = retentionNode == null ? defaults.retention()
        : retention(path + ".retention", retentionNode);
    if (retention != null) {
      b.retention(retention);
    }
    ConfigNode encryptionNode = read.field(m, "encryption", path);
    b.encryption(encryptionNode == null ? defaults.encryption() : encryption(path + ".encryption", encryptionNode));
    try {
      BackupStrategy strategy = b.build();
      return problems.count() == before ? strategy : null;
    } catch (ConfigException e) {
      problems.addAll(path, e);
      return null;
    }
  }

  /** A retention policy at {@code path}, or null when absent or after reporting its problems. */
  @Nullable RetentionPolicy retention(String path, @Nullable ConfigNode node) {
    if (node == null) {
      return null;
    }
    int before = problems.count();
    MapNode m = read.map(path, node);
    if (m == null) {
      return null;
    }
    read.checkKeys(path, m, RETENTION_KEYS);
    RetentionPolicy.Builder b = RetentionPolicy.builder();
    Integer n;
    if ((n = read.count(path + ".keep-last", read.field(m, "keep-last", path))) != null) b.keepLast(n);
    if ((n = read.count(path + ".keep-hourly", read.field(m, "keep-hourly", path))) != null) b.keepHourly(n);
    if ((n = read.count(path + ".keep-daily", read.field(m, "keep-daily", path))) != null) b.keepDaily(n);
    if ((n = read.count(path + ".keep-weekly", read.field(m, "keep-weekly", path))) != null) b.keepWeekly(n);
    if ((n = read.count(path + ".keep-monthly", read.field(m, "keep-monthly", path))) != null) b.keepMonthly(n);
    if ((n = read.count(path + ".keep-yearly", read.field(m, "keep-yearly", path))) != null) b.keepYearly(n);
    Duration within = read.duration(path + ".keep-within", read.field(m, "keep-within", path));
    if (within != null) {
      b.keepWithin(within);
    }
    ConfigNode tagsNode = read.field(m, "keep-tags", path);
    if (tagsNode != null) {
      List<ConfigNode> tags = read.list(path + ".keep-tags", tagsNode);
      if (tags != null) {
        for (int t = 0; t < tags.size(); t++) {
          String tp = path + ".keep-tags[" + t + "]";
          String tag = read.string(tp, tags.get(t));
          if (tag != null && tag.isBlank()) {
            problems.add(tp, tags.get(t), "tags must not be blank");
          } else if (tag != null) {
            b.keepTag(tag);
          } else if (!problems.isReported(tp)) {
            problems.add(tp, tags.get(t), "a tag must be a string");
          }
        }
      }
    }
    try {
      RetentionPolicy policy = b.build();
      return problems.count() == before ? policy : null;
    } catch (ConfigException e) {
      problems.addAll(path, e);
      return null;
    }
  }

  /** An encryption config at {@code path}, or null when absent or after reporting its problems. */
  @Nullable EncryptionConfig encryption(String path, @Nullable ConfigNode node) {
    if (node == null) {
      return null;
    }
    MapNode m = read.map(path, node);
    if (m == null) {
      return null;
    }
    read.checkKeys(path, m, ENCRYPTION_KEYS);
    EncryptionConfig.Algorithm algorithm = EncryptionConfig.Algorithm.AES_256_GCM;
    ConfigNode algorithmNode = read.field(m, "algorithm", path);
    String a = read.string(path + ".algorithm", algorithmNode);
    if (a != null && algorithmNode != null) {
      try {
        algorithm = EncryptionConfig.Algorithm.parse(a);
      } catch (ConfigException e) {
        read.addAt(path + ".algorithm", algorithmNode, e);
        return null;
      }
    } else if (algorithmNode != null) {
      return null;
    }
    String keySource = read.string(path + ".key-source", read.field(m, "key-source", path));
    if (keySource == null && algorithm != EncryptionConfig.Algorithm.NONE) {
      if (!problems.isReported(path + ".key-source")) {
        problems.add(path + ".key-source", m, "'key-source' is required for " + algorithm.configName()
            + ": a reference such as env:NAME, file:PATH, prompt or host:NAME (never the key itself)");
      }
      return null;
    }
    try {
      return new EncryptionConfig(algorithm, keySource == null ? "" : keySource); // null only for NONE
    } catch (ConfigException e) {
      problems.addAll(path, e);
      return null;
    }
  }
}
