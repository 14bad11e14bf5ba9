package io.salvo.it;

import io.salvo.cli.SalvoCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A `salvo` command run in this JVM with its standard output and error captured apart (and echoed to the test's
 * output, so a failure shows them).
 */
record CliCapture(int exit, String out, String err) {

    static CliCapture salvo(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        int exit;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            exit = SalvoCli.execute(args);
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
        CliCapture c = new CliCapture(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        originalOut.println(c.out());
        originalOut.println(c.err());
        return c;
    }
}
