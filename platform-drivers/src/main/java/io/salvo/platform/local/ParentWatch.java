package io.salvo.platform.local;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Runs another Java main class in the same JVM and exits when the parent goes away. The parent holds
 * the write end of this process's standard input; when the parent exits for any reason (close, Ctrl-C,
 * crash, {@code kill -9}) the kernel closes it, the read here sees end-of-file, and this JVM exits
 * (shutdown hooks run; halted if they take more than 5 s). This needs no change in the wrapped program
 * and no polling.
 *
 * <p>Usage: {@code java -cp <this>:<program> io.salvo.platform.local.ParentWatch <main class> [args...]}.
 * The wrapped program must not read standard input.
 */
public final class ParentWatch {

    static final int EXIT_PARENT_GONE = 143;

    private ParentWatch() {}

    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            System.err.println("usage: ParentWatch <main class> [args...]");
            System.exit(2);
        }
        Thread watcher = new Thread(ParentWatch::watchStandardInput, "parent-watch");
        watcher.setDaemon(true);
        watcher.start();
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void watchStandardInput() {
        try {
            byte[] sink = new byte[256];
            while (System.in.read(sink) != -1) {
                // the parent never writes; anything read is discarded
            }
        } catch (IOException e) {
            // a broken pipe means the same as end-of-file: the parent is gone
        }
        System.err.println("parent-watch: the parent process is gone (standard input closed); exiting");
        Thread halter = new Thread(
                () -> {
                    try {
                        Thread.sleep(5_000);
                    } catch (InterruptedException ignored) {
                        Thread.currentThread().interrupt();
                    }
                    Runtime.getRuntime().halt(EXIT_PARENT_GONE);
                },
                "parent-watch-halt");
        halter.setDaemon(true);
        halter.start();
        System.exit(EXIT_PARENT_GONE);
    }
}
