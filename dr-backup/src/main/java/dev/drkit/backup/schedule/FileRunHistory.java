package dev.drkit.backup.schedule;

import dev.drkit.core.StorageException;
import dev.drkit.core.internal.DurableFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * {@link RunHistory} in a properties file, replaced atomically and durably on every change (temp
 * file, fsync, rename, directory fsync: {@code dev.drkit.core.internal.DurableFiles#replace}).
 */
final class FileRunHistory implements RunHistory {
  private final Path file;
  private final Map<String, Instant> map = new TreeMap<>();

  FileRunHistory(Path file) {
    this.file = Objects.requireNonNull(file, "file").toAbsolutePath();
    if (Files.exists(this.file)) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(this.file)) {
        p.load(in);
      } catch (IOException e) {
        throw new StorageException("cannot read run history " + this.file, e);
      }
      for (String key : p.stringPropertyNames()) {
        try {
          map.put(key, Instant.parse(p.getProperty(key)));
        } catch (DateTimeParseException e) {
          throw new StorageException("run history " + this.file + ": entry '" + key + "' is not an instant: "
              + p.getProperty(key), e);
        }
      }
    }
  }

  @Override
  public synchronized Optional<Instant> lastHandled(String key) {
    return Optional.ofNullable(map.get(key));
  }

  @Override
  public synchronized void handled(String key, Instant scheduledFor) {
    Instant old = map.get(key);
    if (old != null && !scheduledFor.isAfter(old)) {
      return;
    }
    map.put(key, scheduledFor);
    Properties p = new Properties();
    map.forEach((k, v) -> p.setProperty(k, v.toString()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      p.store(out, "drkit backup scheduler: last cron time dealt with, per strategy");
      Files.createDirectories(file.getParent());
      DurableFiles.replace(file, out.toByteArray());
    } catch (IOException e) {
      throw new StorageException("cannot write run history " + file, e);
    }
  }
}
