package io.salvo.modelserver.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salvo.modelserver.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's WordPiece tokenizer gives, id for id, what the Hugging Face tokenizers library (through DJL, as
 * langchain4j uses it) gives for the same {@code tokenizer.json} — the real MiniLM one — on sentences chosen for
 * every rule (accents, CJK, punctuation, controls, special tokens, long and unknown words) and on seeded random text.
 */
class WordPieceTokenizerTest {

    private static Path tokenizerJson;
    private static WordPieceTokenizer tokenizer;
    private static HuggingFaceTokenizer reference;

    @BeforeAll
    static void load() throws Exception {
        tokenizerJson = TestModels.prepared("minilm").tokenizerFile();
        tokenizer = WordPieceTokenizer.load(tokenizerJson);
        reference = HuggingFaceTokenizer.newInstance(
                tokenizerJson, Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true"));
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    @Test
    void sentencesCoveringEveryRuleTokenizeAsTheLibraryDoes() {
        List<String> sentences = List.of(
                "",
                " ",
                "hello",
                "Salvo measures how long a serverless model server takes to answer its first request.",
                "The quick brown fox jumps over the lazy dog!!! (Really?) [yes]; a-b_c/d\\e",
                "unaffable tokenization of hyperparameterized transformers",
                "Café naïve résumé façade Ångström Ærø Øre straße",
                "ΣΊΣΥΦΟΣ Ὀδυσσεύς İstanbul ǅungla ﬁne",
                "我爱北京天安门 and 日本語のテキスト 한국어 텍스트",
                "emoji 🚀🔥 and symbols © ® ™ € £ ¥ § ¶ • … — – « » “quoted” ‘single’",
                "tabs\tand\nnewlines\r\nand\u000bvertical\u000cfeeds\u0085next",
                "zero\u200bwidth\u00a0nbsp\u2003em\u3000ideographic\u2028line",
                "controls \u0000\u0001\u001f\u007f\u009f gone, replacement \ufffd too",
                "special tokens [CLS] inside [SEP] text [MASK][PAD][UNK] and [NOT] and [ SEP ] and x[SEP]y",
                "numbers 3.14159 1,000,000 2026-12-01T10:00:00Z 0x1F #hashtag @mention $100 50%",
                "a".repeat(100) + " " + "b".repeat(101) + " " + "é".repeat(101),
                "combining e\u0301 a\u0308 and precomposed é ä, hangul jamo \u1100\u1161",
                "surrogates 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀀𠀁 and math ∑∫√∞≠",
                "word ".repeat(300));
        for (String sentence : sentences) {
            assertThat(tokenizer.encode(sentence))
                    .as(sentence)
                    .isEqualTo(reference.encode(sentence).getIds());
        }
    }

    @Test
    void seededRandomTextTokenizesAsTheLibraryDoes() {
        long seed = 20261201L;
        Random random = new Random(seed);
        String[] pieces = {
            "the", "model", "server", "token", "ization", "un", "##", "[SEP]", "[CLS]", "[", "]", "Ab", "XYZ", "é", "ü",
            "ß", "Ω", "σ", "我", "的", "テ", "한", "🚀", "—", "…", "'", "\"", ",", ".", "!", "?", "-", "_", "(", ")", "0",
            "42", "3.5", " ", "  ", "\t", "\n", "\u00a0", "\u200b", "\u0301", "\u0000", "\u007f", "ﬁ", "İ", "Ⅻ", "½",
            "ℌ", "𝔘"
        };
        List<String> mismatches = new ArrayList<>();
        for (int n = 0; n < 2_000; n++) {
            StringBuilder text = new StringBuilder();
            int parts = 1 + random.nextInt(30);
            for (int p = 0; p < parts; p++) {
                if (random.nextInt(10) == 0) {
                    int[] block = STABLE_BLOCKS[random.nextInt(STABLE_BLOCKS.length)];
                    text.appendCodePoint(block[0] + random.nextInt(block[1] - block[0] + 1));
                } else {
                    text.append(pieces[random.nextInt(pieces.length)]);
                }
            }
            String sample = text.toString();
            long[] expected = reference.encode(sample).getIds();
            if (!java.util.Arrays.equals(tokenizer.encode(sample), expected)) {
                mismatches.add(escape(sample));
            }
        }
        assertThat(mismatches).as("seed " + seed).isEmpty();
    }

    /**
     * Blocks whose characters kept their Unicode category since Unicode 8, the version of the library's tables
     * (Java 17 has Unicode 13): Latin, Greek, Cyrillic, Arabic, Devanagari, general punctuation, CJK symbols, kana,
     * CJK ideographs, Hangul, half- and full-width forms, emoji and mathematical letters.
     */
    private static final int[][] STABLE_BLOCKS = {
        {0x0000, 0x024F},
        {0x0300, 0x036F},
        {0x0370, 0x03FF},
        {0x0400, 0x04FF},
        {0x0600, 0x06FF},
        {0x0900, 0x097F},
        {0x2000, 0x2064},
        {0x3000, 0x30FF},
        {0x4E00, 0x9FCC},
        {0xAC00, 0xD7A3},
        {0xFF00, 0xFFEF},
        {0x1F300, 0x1F5FF},
        {0x1D400, 0x1D7FF}
    };

    @Test
    void aTokenizerOtherThanBertsIsRefusedNamingTheField(@TempDir Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path changed = dir.resolve("tokenizer.json");

        ObjectNode bpe = (ObjectNode) json.readTree(tokenizerJson.toFile());
        ((ObjectNode) bpe.get("model")).put("type", "BPE");
        json.writeValue(changed.toFile(), bpe);
        assertThatThrownBy(() -> WordPieceTokenizer.load(changed))
                .isInstanceOf(IOException.class)
                .hasMessage(changed + ": field 'model.type' is 'BPE'; the server's tokenizer supports BERT's WordPiece "
                        + "configuration only");

        ObjectNode whitespace = (ObjectNode) json.readTree(tokenizerJson.toFile());
        ((ObjectNode) whitespace.get("pre_tokenizer")).put("type", "Whitespace");
        json.writeValue(changed.toFile(), whitespace);
        assertThatThrownBy(() -> WordPieceTokenizer.load(changed))
                .hasMessage(changed + ": field 'pre_tokenizer.type' is 'Whitespace'; the server's tokenizer supports "
                        + "BERT's WordPiece configuration only");

        ObjectNode noUnknown = (ObjectNode) json.readTree(tokenizerJson.toFile());
        ((ObjectNode) noUnknown.get("model")).put("unk_token", "<unk>");
        json.writeValue(changed.toFile(), noUnknown);
        assertThatThrownBy(() -> WordPieceTokenizer.load(changed))
                .hasMessage(changed + ": field 'model.unk_token' names token '<unk>', which is not in the vocabulary");
    }

    @Test
    void addedTokensAndTemplateIdsAreResolvedAsTheLibraryResolvesThem(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode changed = (ObjectNode) json.readTree(tokenizerJson.toFile());
        // An added token that does not start with '[' and is not in the vocabulary (the library gives it the next
        // id after the vocabulary, whatever the file says), and a template that lists its own id for [CLS].
        ((com.fasterxml.jackson.databind.node.ArrayNode) changed.get("added_tokens"))
                .addObject()
                .put("id", 1)
                .put("content", "<x>")
                .put("single_word", false)
                .put("lstrip", false)
                .put("rstrip", false)
                .put("normalized", false)
                .put("special", true);
        ((ObjectNode) changed.get("post_processor").get("special_tokens").get("[CLS]"))
                .putArray("ids")
                .add(7);
        Path file = dir.resolve("tokenizer.json");
        json.writeValue(file.toFile(), changed);
        WordPieceTokenizer ours = WordPieceTokenizer.load(file);
        try (HuggingFaceTokenizer library = HuggingFaceTokenizer.newInstance(
                file, Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true"))) {
            for (String text : List.of("a <x> b [SEP] c", "z<x>", "<x>[CLS]<x>", "[ <x", "plain text")) {
                assertThat(ours.encode(text))
                        .as(text)
                        .isEqualTo(library.encode(text).getIds());
            }
        }
    }

    @Test
    void configurationsTokenizedDifferentlyAreRefused(@TempDir Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path changed = dir.resolve("tokenizer.json");

        ObjectNode noClean = (ObjectNode) json.readTree(tokenizerJson.toFile());
        ((ObjectNode) noClean.get("normalizer")).put("clean_text", false);
        json.writeValue(changed.toFile(), noClean);
        assertThatThrownBy(() -> WordPieceTokenizer.load(changed))
                .hasMessage(
                        changed + ": field "
                                + "'normalizer.clean_text' is false; the server's tokenizer supports BERT's WordPiece configuration only");

        ObjectNode emptyContent = (ObjectNode) json.readTree(tokenizerJson.toFile());
        ((ObjectNode) emptyContent.get("added_tokens").get(0)).put("content", "");
        json.writeValue(changed.toFile(), emptyContent);
        assertThatThrownBy(() -> WordPieceTokenizer.load(changed))
                .hasMessage(changed + ": field 'added_tokens[0].content' must be a non-empty string");

        ObjectNode noWords = (ObjectNode) json.readTree(tokenizerJson.toFile());
        ((ObjectNode) noWords.get("model")).put("max_input_chars_per_word", 0);
        json.writeValue(changed.toFile(), noWords);
        assertThatThrownBy(() -> WordPieceTokenizer.load(changed))
                .hasMessage(changed + ": field 'model.max_input_chars_per_word' must be at least 1, got 0");
    }

    @Test
    void anUnreadableFileNamesItself(@TempDir Path dir) throws IOException {
        Path broken = dir.resolve("tokenizer.json");
        Files.writeString(broken, "{\"model\": ", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> WordPieceTokenizer.load(broken))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(broken + ": ");
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints()
                .forEach(c -> out.append(c >= 0x20 && c < 0x7f ? Character.toString(c) : String.format("\\u{%x}", c)));
        return out.toString();
    }
}
