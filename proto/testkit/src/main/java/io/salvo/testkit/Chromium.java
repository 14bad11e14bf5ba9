package io.salvo.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;

/**
 * Debian's Chromium in headless mode, driven through Debian's chromedriver, for the tests of Salvo's pages. Either
 * with the network cut off (a report file must draw from itself alone) or with loopback only (a dashboard served by
 * a coordinator on 127.0.0.1, and nothing else: a page that fetched a CDN would fail).
 */
public final class Chromium {

    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private Chromium() {}

    /** Skips the test on a machine without Chromium (fails under CI, where .ci/run installs it). */
    public static void require(String test) {
        Prerequisite.require(
                Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                test + " needs " + CHROMIUM + " and " + CHROMEDRIVER
                        + " (Debian: apt-get install chromium chromium-driver)");
    }

    /**
     * No network at all, three ways: every host name resolves to nothing, every connection goes to a proxy that does
     * not exist, and DevTools emulates an offline network. For pages opened from a file.
     */
    public static ChromeDriver offline(Path profile, int width, int height) {
        ChromeDriver driver = start(
                profile, width, height, List.of("--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9"));
        try {
            driver.executeCdpCommand("Network.enable", Map.of());
            driver.executeCdpCommand(
                    "Network.emulateNetworkConditions",
                    Map.of("offline", true, "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
        } catch (RuntimeException e) {
            driver.quit();
            throw e;
        }
        return driver;
    }

    /** Pages opened by the address 127.0.0.1; any host name (a CDN) resolves to nothing. */
    public static ChromeDriver loopbackOnly(Path profile, int width, int height) {
        return start(profile, width, height, List.of("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"));
    }

    private static ChromeDriver start(Path profile, int width, int height, List<String> network) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=" + width + "," + height,
                "--user-data-dir=" + profile.toAbsolutePath());
        options.addArguments(network);
        // The console (warnings and errors included) is read back by the tests.
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, Level.ALL.getName()));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .build();
        return new ChromeDriver(service, options);
    }
}
