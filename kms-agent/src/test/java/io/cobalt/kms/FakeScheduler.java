package io.cobalt.kms;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler whose periodic tasks run only when the test calls {@link #runPeriodicTasks()}, on the
 * test's thread: no sleeps, no timing. Stricter than the real thing: cancelled tasks stay cancelled.
 */
public final class FakeScheduler extends ScheduledThreadPoolExecutor {
  private final List<Runnable> periodic = new ArrayList<>();
  private final List<ScheduledFuture<?>> futures = new ArrayList<>();

  public FakeScheduler() {
    super(1);
  }

  @Override
  public synchronized ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
      TimeUnit unit) {
    ScheduledFuture<?> placeholder = super.schedule(() -> { }, 365, TimeUnit.DAYS);
    periodic.add(command);
    futures.add(placeholder);
    return placeholder;
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    return scheduleWithFixedDelay(command, initialDelay, period, unit);
  }

  /** Runs every periodic task that is not cancelled, once. */
  public synchronized void runPeriodicTasks() {
    for (int i = 0; i < periodic.size(); i++) {
      if (!futures.get(i).isCancelled()) {
        periodic.get(i).run();
      }
    }
  }

  public synchronized int livePeriodicTasks() {
    return (int) futures.stream().filter(f -> !f.isCancelled()).count();
  }
}
