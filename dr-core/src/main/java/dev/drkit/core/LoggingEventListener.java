package dev.drkit.core;

import dev.drkit.core.internal.LogText;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.core.spi.EventListener;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Writes every {@link DrEvent} to slf4j: INFO events at INFO, WARN at WARN, ERROR at ERROR, under
 * the logger {@code drkit.events.<type>} (so {@code drkit.events.failover} can be tuned apart from
 * {@code drkit.events.backup}). The line carries the service, epoch, message and attributes, for
 * example {@code [orders epoch=3] failover.transition: fencing primary {from=PRIMARY_DEGRADED, to=FAILING_OVER}}.
 * The service and epoch are also put in the event's key-value pairs for structured backends.
 * Stateless and thread-safe.
 */
public final class LoggingEventListener implements EventListener {
  /** Prefix of the logger names. */
  public static final String LOGGER_PREFIX = "drkit.events.";

  /** Creates a listener. */
  public LoggingEventListener() {}

  @Override
  public void onEvent(DrEvent event) {
    Objects.requireNonNull(event, "event");
    Logger log = LoggerFactory.getLogger(LOGGER_PREFIX + event.type());
    Level level = switch (event.severity()) {
      case INFO -> Level.INFO;
      case WARN -> Level.WARN;
      case ERROR -> Level.ERROR;
    };
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    log.atLevel(level)
        .addKeyValue("service", event.service())
        .addKeyValue("epoch", event.epoch())
        .addKeyValue("type", event.type())
        .log(format(event));
  }

  /**
   * @param event the event to format
   * @return the text logged for it: {@code [service epoch=N] type: message {attributes}}, as one
   *     line: a line break, control or format character in any part (an event may quote what a
   *     network peer sent, such as the service a refused replication peer named) is escaped
   *     ({@code \n}, a backslash, {@code u} and its code point), so an event cannot forge log lines
   */
  public static String format(DrEvent event) {
    StringBuilder sb = new StringBuilder();
    if (event.service() != null || event.epoch() != 0) {
      sb.append('[');
      if (event.service() != null) {
        sb.append(event.service());
      }
      if (event.epoch() != 0) {
        if (event.service() != null) {
          sb.append(' ');
        }
        sb.append("epoch=").append(event.epoch());
      }
      sb.append("] ");
    }
    sb.append(event.type()).append(": ").append(event.message());
    Map<String, String> attributes = event.attributes();
    if (!attributes.isEmpty()) {
      sb.append(' ').append(attributes);
    }
    return LogText.oneLine(sb.toString());
  }

  @Override
  public String toString() {
    return "LoggingEventListener";
  }
}
