package dev.drkit.spring;

import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The host's FailoverActions in the tests: records what drkit asked for. */
class RecordingActions implements FailoverActions {
  final List<String> calls = Collections.synchronizedList(new ArrayList<>());

  @Override
  public void fence(String service, Site site, long epoch) {
    calls.add(service + " fence " + site + "@" + epoch);
  }

  @Override
  public void promote(String service, Site site, long epoch) {
    calls.add(service + " promote " + site + "@" + epoch);
  }

  @Override
  public void redirect(String service, Site site, long epoch) {
    calls.add(service + " redirect " + site + "@" + epoch);
  }

  @Override
  public void resync(String service, Site target, Site source, long epoch) {
    calls.add(service + " resync " + target + "@" + epoch);
  }
}
