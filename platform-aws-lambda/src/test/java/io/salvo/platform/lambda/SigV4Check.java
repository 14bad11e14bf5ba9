package io.salvo.platform.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Checks a SigV4 signature by computing it independently (HMAC-SHA256 by hand, as AWS documents it, not the SDK). */
final class SigV4Check {

    private SigV4Check() {}

    private static final Pattern AUTH = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})");

    /** SigV4 as AWS documents it, computed here by hand, compared with the signature the signer made. */
    static void verify(
            String method,
            URI url,
            Map<String, String> planHeaders,
            Map<String, String> added,
            byte[] body,
            String secret)
            throws Exception {
        Matcher auth = AUTH.matcher(added.get("Authorization"));
        assertThat(auth.matches()).as(added.get("Authorization")).isTrue();
        String date = auth.group(2);
        String region = auth.group(3);
        String service = auth.group(4);
        String signedHeaders = auth.group(5);
        Map<String, String> all = new TreeMap<>();
        planHeaders.forEach((k, v) -> all.put(k.toLowerCase(Locale.ROOT), v.trim()));
        added.forEach((k, v) -> all.put(k.toLowerCase(Locale.ROOT), v.trim()));
        StringBuilder canonicalHeaders = new StringBuilder();
        for (String name : signedHeaders.split(";", -1)) {
            assertThat(all).as("signed header %s is sent", name).containsKey(name);
            canonicalHeaders.append(name).append(':').append(all.get(name)).append('\n');
        }
        assertThat(signedHeaders).contains("host").contains("x-amz-date").contains("x-amz-content-sha256");
        assertThat(all.get("host")).isEqualTo(url.getHost());
        String payloadHash = hex(MessageDigest.getInstance("SHA-256").digest(body));
        assertThat(all.get("x-amz-content-sha256")).isEqualTo(payloadHash);
        String canonicalRequest = method + "\n" + url.getRawPath() + "\n\n" + canonicalHeaders + "\n" + signedHeaders
                + "\n" + payloadHash;
        String scope = date + "/" + region + "/" + service + "/aws4_request";
        String stringToSign = "AWS4-HMAC-SHA256\n" + all.get("x-amz-date") + "\n" + scope + "\n"
                + hex(MessageDigest.getInstance("SHA-256").digest(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        assertThat(auth.group(6)).isEqualTo(hex(hmac(key, stringToSign)));
    }

    private static byte[] hmac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
