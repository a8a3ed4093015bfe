package io.sluice.client;

import io.sluice.client.errors.Errors;
import io.sluice.client.errors.InterruptException;
import io.sluice.client.errors.SluiceException;
import io.sluice.client.errors.TimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Waiting on the client's futures from application threads, with a bound and typed errors. Stateless. */
public final class Futures {
    private Futures() {
    }

    /**
     * The future's value, waiting at most {@code timeoutMs}.
     *
     * @throws SluiceException the future's failure (unwrapped), or {@link TimeoutException} naming {@code what}
     */
    public static <T> T get(CompletableFuture<T> future, long timeoutMs, String what) {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw new InterruptException("interrupted while waiting for " + what, e);
        } catch (ExecutionException e) {
            throw Errors.asSluice(e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new TimeoutException(what + " did not complete within " + timeoutMs + " ms");
        }
    }
}
