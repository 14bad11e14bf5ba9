package io.salvo.report.html;

import io.salvo.testkit.Chromium;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/** A report page in {@link Chromium#offline offline} Chromium: a page that draws here needs nothing but its own file. */
final class HeadlessChromium implements AutoCloseable {

    final ChromeDriver driver;

    private HeadlessChromium(ChromeDriver driver) {
        this.driver = driver;
    }

    /** Skips the test on a machine without Chromium (fails under CI, where .ci/run installs it). */
    static HeadlessChromium offline(Path profileDir) {
        Chromium.require("the HTML report's browser test");
        return new HeadlessChromium(Chromium.offline(profileDir, 1280, 1800));
    }

    void open(Path file) {
        driver.get(file.toAbsolutePath().toUri().toString());
    }

    Object script(String js, Object... args) {
        return driver.executeScript(js, args);
    }

    /** The browser's console and page errors since the last call. */
    List<LogEntry> consoleEntries() {
        return driver.manage().logs().get(LogType.BROWSER).getAll();
    }

    void screenshot(Path png) throws IOException {
        Files.createDirectories(png.getParent());
        Files.write(png, driver.getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() {
        driver.quit();
    }
}
