package io.sluice.broker.log;

import java.lang.reflect.Field;
import java.nio.MappedByteBuffer;

/**
 * Unmaps a {@link MappedByteBuffer} now instead of whenever the GC collects it: a log holds many files,
 * deleted segments must give their disk space back, and {@code vm.max_map_count} is finite.
 * The caller guarantees that no thread touches the buffer afterwards; an access after unmap crashes the JVM.
 */
public final class MappedBuffers {
    private static final sun.misc.Unsafe UNSAFE;

    static {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            UNSAFE = (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private MappedBuffers() {
    }

    public static void unmap(MappedByteBuffer buffer) {
        if (buffer != null) {
            UNSAFE.invokeCleaner(buffer);
        }
    }
}
