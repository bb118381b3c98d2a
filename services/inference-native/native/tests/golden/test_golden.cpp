// Golden-file parity of libmoco against Hugging Face transformers (public API only: moco.h).
//
// Each fixture under tests/golden/models/<name>/ is a tiny random-initialised HF model directory
// (config.json + safetensors) with golden.json + logits.bin written by tools/golden/make_golden_*.py:
// the prompt, HF's greedy path, the logits of every position of prompt + path (one teacher-forced
// forward), HF's top-2 margin at each greedy step, and the tolerances. For every fixture this checks:
//   ModelInfo      moco_model_get_info agrees with the config (and the parameter count);
//   TeacherForced  one moco_forward (MOCO_OUTPUT_ALL) over prompt + path: every logits row within
//                  logits_atol; the argmax is HF's greedy token wherever HF's margin >= margin_threshold
//                  (random models have near-ties, where either token is right);
//   GreedyDecode   the prompt prefilled (MOCO_OUTPUT_LAST), then HF's path fed one token at a time
//                  through the KV cache: each step's logits within tolerance and the engine's argmax is
//                  HF's token wherever the margin allows;
//   ChunkedPrefill prompt + path in chunks of 5 tokens (MOCO_OUTPUT_ALL): attention over cached
//                  positions with several new ones at once (and across the sliding window);
// classifiers (reward models): the score of every position, and of the last one (what HF pools),
// within tolerance, by the same three routes.
//
// Where the fixtures are: $MOCO_GOLDEN_DIR if set, else MOCO_TEST_GOLDEN_DIR (set by tests.cmake),
// else tests/golden/models next to this source file. Device: $MOCO_GOLDEN_DEVICE (default "cpu").
#include "moco.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

// The fixtures the generators write (tools/golden/golden_common.py SPECS). Listed here so that a
// missing directory fails instead of silently testing less; FixtureDirectoryMatchesList keeps the
// list and the directory in step.
const char* const kFixtures[] = {
    "llama_gqa_rope_llama3",  "mistral_sliding_window", "qwen2_bias_tied",    "qwen3_qknorm_head_dim",
    "llama_bf16_rope_linear", "qwen2_f16_untied",       "llama_sharded_tied", "llama_reward_classifier",
};

constexpr int kChunkTokens = 5;

// ---------------------------------------------------------------------------------------------
// A minimal JSON reader (objects, arrays, strings, numbers, true/false/null): enough for golden.json.
// ---------------------------------------------------------------------------------------------

struct Json {
    enum class Type { Null, Bool, Number, String, Array, Object };
    Type type = Type::Null;
    bool boolean = false;
    double number = 0.0;
    std::string string;
    std::vector<Json> array;
    std::vector<std::pair<std::string, Json>> object;

    const Json* find(const std::string& key) const {
        for (const auto& kv : object)
            if (kv.first == key) return &kv.second;
        return nullptr;
    }
    const Json& at(const std::string& key) const {
        if (type != Type::Object) throw std::runtime_error("golden.json: not an object where '" + key + "' is read");
        const Json* v = find(key);
        if (!v) throw std::runtime_error("golden.json: missing key '" + key + "'");
        return *v;
    }
    double num() const {
        if (type != Type::Number) throw std::runtime_error("golden.json: a number was expected");
        return number;
    }
    long long integer() const {
        const double v = num();
        if (v != std::floor(v)) throw std::runtime_error("golden.json: an integer was expected");
        return static_cast<long long>(v);
    }
    const std::string& str() const {
        if (type != Type::String) throw std::runtime_error("golden.json: a string was expected");
        return string;
    }
    const std::vector<Json>& arr() const {
        if (type != Type::Array) throw std::runtime_error("golden.json: an array was expected");
        return array;
    }
};

class JsonParser {
public:
    explicit JsonParser(const std::string& text) : s_(text) {}

    Json parse() {
        Json v = value();
        skip_ws();
        if (i_ != s_.size()) fail("trailing characters");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("golden.json: " + what + " at offset " + std::to_string(i_));
    }
    void skip_ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
    }
    bool consume(char c) {
        skip_ws();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!consume(c)) fail(std::string("expected '") + c + "'");
    }
    bool literal(const char* word) {
        const size_t n = std::strlen(word);
        if (s_.compare(i_, n, word) == 0) {
            i_ += n;
            return true;
        }
        return false;
    }

    Json value() {
        skip_ws();
        if (i_ >= s_.size()) fail("unexpected end");
        Json v;
        const char c = s_[i_];
        if (c == '{') {
            ++i_;
            v.type = Json::Type::Object;
            if (consume('}')) return v;
            do {
                skip_ws();
                std::string key = string_literal();
                expect(':');
                v.object.emplace_back(std::move(key), value());
            } while (consume(','));
            expect('}');
        } else if (c == '[') {
            ++i_;
            v.type = Json::Type::Array;
            if (consume(']')) return v;
            do {
                v.array.push_back(value());
            } while (consume(','));
            expect(']');
        } else if (c == '"') {
            v.type = Json::Type::String;
            v.string = string_literal();
        } else if (literal("true")) {
            v.type = Json::Type::Bool;
            v.boolean = true;
        } else if (literal("false")) {
            v.type = Json::Type::Bool;
        } else if (literal("null")) {
            v.type = Json::Type::Null;
        } else {
            const char* begin = s_.c_str() + i_;
            char* end = nullptr;
            v.type = Json::Type::Number;
            v.number = std::strtod(begin, &end);
            if (end == begin) fail("bad value");
            i_ += static_cast<size_t>(end - begin);
        }
        return v;
    }

    std::string string_literal() {
        if (i_ >= s_.size() || s_[i_] != '"') fail("expected a string");
        ++i_;
        std::string out;
        while (i_ < s_.size() && s_[i_] != '"') {
            char c = s_[i_++];
            if (c == '\\') {
                if (i_ >= s_.size()) fail("bad escape");
                const char e = s_[i_++];
                switch (e) {
                    case 'n': out += '\n'; break;
                    case 't': out += '\t'; break;
                    case 'r': out += '\r'; break;
                    case 'b': out += '\b'; break;
                    case 'f': out += '\f'; break;
                    case 'u': {  // golden.json is ASCII; keep \uXXXX below 0x80, else '?'
                        if (i_ + 4 > s_.size()) fail("bad \\u escape");
                        const unsigned long cp = std::strtoul(s_.substr(i_, 4).c_str(), nullptr, 16);
                        out += cp < 0x80 ? static_cast<char>(cp) : '?';
                        i_ += 4;
                        break;
                    }
                    default: out += e; break;  // \" \\ \/
                }
            } else {
                out += c;
            }
        }
        if (i_ >= s_.size()) fail("unterminated string");
        ++i_;
        return out;
    }

    const std::string& s_;
    size_t i_ = 0;
};

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

// $name, or "" when unset (_dupenv_s on MSVC, where getenv is a deprecation warning).
std::string env(const char* name) {
#ifdef _MSC_VER
    char* buf = nullptr;
    size_t len = 0;
    std::string value;
    if (_dupenv_s(&buf, &len, name) == 0 && buf != nullptr) value = buf;
    std::free(buf);
    return value;
#else
    const char* v = std::getenv(name);
    return v != nullptr ? std::string(v) : std::string();
#endif
}

std::string golden_root() {
    if (const std::string dir = env("MOCO_GOLDEN_DIR"); !dir.empty()) return dir;
#ifdef MOCO_TEST_GOLDEN_DIR
    return MOCO_TEST_GOLDEN_DIR;
#else
    const std::string here = __FILE__;
    const size_t slash = here.find_last_of("/\\");
    return (slash == std::string::npos ? std::string(".") : here.substr(0, slash)) + "/models";
#endif
}

std::string golden_device() {
    const std::string device = env("MOCO_GOLDEN_DEVICE");
    return device.empty() ? "cpu" : device;
}

struct GoldenCase {
    int prompt_len = 0;
    std::vector<int32_t> tokens;  // prompt + greedy path (causal LM) or the prompt (classifier)
    size_t row_offset = 0;        // first row of this case in Golden::rows
    std::vector<double> margins;  // causal LM: HF's top-2 margin at greedy step i (row prompt_len-1+i)
    std::vector<double> score;    // classifier: the pooled (last-position) score
};

struct Golden {
    std::string name, dir, architecture, oracle, weights_dtype;
    bool classifier = false;
    int output_size = 0;
    double atol = 0.0;
    double margin_threshold = 0.0;
    Json info;
    std::vector<GoldenCase> cases;
    std::vector<float> rows;  // total_rows x output_size

    const float* row(size_t r) const { return rows.data() + r * static_cast<size_t>(output_size); }
    std::string label() const { return name + " (oracle " + oracle + ", weights " + weights_dtype + ")"; }
};

Golden load_golden(const std::string& name) {
    Golden g;
    g.name = name;
    g.dir = golden_root() + "/" + name;
    const Json j = JsonParser(read_file(g.dir + "/golden.json")).parse();
    if (j.at("format").str() != "moco-golden/1")
        throw std::runtime_error(g.dir + "/golden.json: unknown format " + j.at("format").str());
    g.architecture = j.at("architecture").str();
    g.oracle = j.at("oracle").str();
    g.weights_dtype = j.at("weights_dtype").str();
    g.classifier = j.at("kind").str() == "classifier";
    g.output_size = static_cast<int>(j.at("output_size").integer());
    g.atol = j.at("tolerance").at("logits_atol").num();
    g.margin_threshold = j.at("tolerance").at("margin_threshold").num();
    g.info = j.at("info");
    const size_t total_rows = static_cast<size_t>(j.at("total_rows").integer());
    for (const Json& c : j.at("cases").arr()) {
        GoldenCase gc;
        gc.prompt_len = static_cast<int>(c.at("prompt_len").integer());
        for (const Json& t : c.at("tokens").arr()) gc.tokens.push_back(static_cast<int32_t>(t.integer()));
        gc.row_offset = static_cast<size_t>(c.at("row_offset").integer());
        if (const Json* m = c.find("margins"))
            for (const Json& v : m->arr()) gc.margins.push_back(v.num());
        if (const Json* s = c.find("score"))
            for (const Json& v : s->arr()) gc.score.push_back(v.num());
        if (gc.prompt_len < 1 || gc.prompt_len > static_cast<int>(gc.tokens.size()) ||
            gc.row_offset + gc.tokens.size() > total_rows ||
            (!g.classifier && gc.margins.size() != gc.tokens.size() - static_cast<size_t>(gc.prompt_len)))
            throw std::runtime_error(g.dir + "/golden.json: inconsistent case");
        g.cases.push_back(std::move(gc));
    }

    const std::string bin = read_file(g.dir + "/" + j.at("logits_file").str());
    const size_t n = total_rows * static_cast<size_t>(g.output_size);
    if (bin.size() != n * 4)
        throw std::runtime_error(g.dir + ": logits file has " + std::to_string(bin.size()) + " bytes, expected " +
                                 std::to_string(n * 4));
    g.rows.resize(n);
    for (size_t i = 0; i < n; ++i) {  // float32 little-endian, whatever the host's byte order
        const auto* b = reinterpret_cast<const unsigned char*>(bin.data()) + 4 * i;
        const uint32_t u = static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
                           (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
        std::memcpy(&g.rows[i], &u, 4);
    }
    return g;
}

// ---------------------------------------------------------------------------------------------
// Comparison helpers
// ---------------------------------------------------------------------------------------------

int argmax(const float* row, int n) {
    int best = 0;
    for (int i = 1; i < n; ++i)
        if (row[i] > row[best]) best = i;  // first maximum, like torch.argmax
    return best;
}

// Compares engine rows with the golden rows of one route; reports the first few failures in detail
// and a one-line summary per route.
struct RowChecker {
    RowChecker(const Golden& golden, std::string what) : g(golden), route(std::move(what)) {}

    static constexpr int kMaxReports = 5;

    const Golden& g;
    std::string route;
    double worst = 0.0;
    std::string worst_where;
    int rows_checked = 0;
    int rows_failed = 0;
    int tokens_checked = 0;
    int tokens_failed = 0;
    int tokens_skipped = 0;  // near-ties: HF's margin below the threshold

    void compare(const float* got, const GoldenCase& c, int position) {
        const float* want = g.row(c.row_offset + static_cast<size_t>(position));
        double row_worst = 0.0;
        int col = 0;
        for (int i = 0; i < g.output_size; ++i) {
            const double d = std::isfinite(got[i]) ? std::fabs(static_cast<double>(got[i]) - want[i]) : INFINITY;
            if (d > row_worst) {
                row_worst = d;
                col = i;
            }
        }
        ++rows_checked;
        std::ostringstream where;
        where << "position " << position << " of the " << c.tokens.size() << "-token case at row " << c.row_offset
              << ", output " << col << ": engine " << got[col] << ", HF " << want[col];
        if (row_worst > worst || rows_checked == 1) {
            worst = row_worst;
            worst_where = where.str();
        }
        if (!(row_worst <= g.atol) && ++rows_failed <= kMaxReports)
            ADD_FAILURE() << g.label() << " [" << route << "] |engine - HF| = " << row_worst << " > " << g.atol
                          << " at " << where.str();
        // Causal LM: the row of position p chose token p+1 of HF's greedy path (p >= prompt_len-1).
        if (!g.classifier && position >= c.prompt_len - 1 && position + 1 < static_cast<int>(c.tokens.size())) {
            const size_t step = static_cast<size_t>(position - (c.prompt_len - 1));
            if (c.margins[step] >= g.margin_threshold) {
                ++tokens_checked;
                const int picked = argmax(got, g.output_size);
                const int32_t hf = c.tokens[static_cast<size_t>(position) + 1];
                if (picked != hf && ++tokens_failed <= kMaxReports)
                    ADD_FAILURE() << g.label() << " [" << route << "] greedy step " << step << " (position "
                                  << position << "): engine picks " << picked << ", HF picked " << hf
                                  << " with a top-2 margin of " << c.margins[step] << " (>= " << g.margin_threshold
                                  << ")";
            } else {
                ++tokens_skipped;
            }
        }
    }

    // One line per fixture and route (in the test log), plus the totals as assertions.
    void finish() const {
        std::printf("  %-26s %-15s rows %3d  max|diff| %.3g (tol %.3g) at %s; greedy tokens checked %d, "
                    "near-ties skipped %d\n",
                    g.name.c_str(), route.c_str(), rows_checked, worst, g.atol, worst_where.c_str(), tokens_checked,
                    tokens_skipped);
        EXPECT_EQ(rows_failed, 0) << g.label() << " [" << route << "] " << rows_failed << " of " << rows_checked
                                  << " rows beyond tolerance " << g.atol << "; worst " << worst << " at "
                                  << worst_where;
        EXPECT_EQ(tokens_failed, 0) << g.label() << " [" << route << "] " << tokens_failed << " of "
                                    << tokens_checked << " greedy tokens differ from HF's";
    }
};

// ---------------------------------------------------------------------------------------------
// The engine: context, model and a KV cache, released in reverse order.
// ---------------------------------------------------------------------------------------------

struct Engine {
    moco_context* ctx = nullptr;
    moco_model* model = nullptr;
    moco_kv_cache* cache = nullptr;
    Engine() = default;
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;
    ~Engine() {
        moco_kv_cache_destroy(cache);
        moco_model_destroy(model);
        moco_context_destroy(ctx);
    }
};

std::string err(moco_status st) { return std::string(moco_status_name(st)) + ": " + moco_last_error(); }

class GoldenTest : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        ASSERT_NO_THROW(g_ = load_golden(GetParam())) << "fixture " << GetParam() << " under " << golden_root();
        moco_context_options copts = moco_context_default_options();
        const std::string device = golden_device();
        copts.device = device.c_str();
        moco_status st = moco_context_create(&copts, &e_.ctx);
        ASSERT_EQ(st, MOCO_OK) << "moco_context_create(" << device << "): " << err(st);
        const moco_model_options mopts = moco_model_default_options();
        st = moco_model_load(e_.ctx, g_.dir.c_str(), &mopts, &e_.model);
        ASSERT_EQ(st, MOCO_OK) << "moco_model_load(" << g_.dir << "): " << err(st);
        const moco_kv_cache_options kopts = moco_kv_cache_default_options();
        st = moco_kv_cache_create(e_.model, &kopts, &e_.cache);
        ASSERT_EQ(st, MOCO_OK) << "moco_kv_cache_create: " << err(st);
    }

    int32_t new_seq() {
        int32_t seq = -1;
        const moco_status st = moco_seq_create(e_.cache, &seq);
        EXPECT_EQ(st, MOCO_OK) << "moco_seq_create: " << err(st);
        return seq;
    }

    // Appends tokens [begin, end) of `c` to `seq`; returns the rows the mode asks for.
    ::testing::AssertionResult forward(int32_t seq, const GoldenCase& c, size_t begin, size_t end, int mode,
                                       std::vector<float>* out) {
        const size_t rows = mode == MOCO_OUTPUT_ALL ? end - begin : 1;
        out->assign(rows * static_cast<size_t>(g_.output_size), NAN);
        moco_batch_entry e;
        std::memset(&e, 0, sizeof e);
        e.seq = seq;
        e.tokens = c.tokens.data() + begin;
        e.n_tokens = static_cast<int32_t>(end - begin);
        e.adapter = nullptr;
        e.logits_mode = mode;
        e.logits = out->data();
        e.hidden_mode = MOCO_OUTPUT_NONE;
        e.hidden = nullptr;
        const moco_status st = moco_forward(e_.cache, &e, 1);
        if (st != MOCO_OK)
            return ::testing::AssertionFailure() << "moco_forward(tokens " << begin << ".." << end << ", mode "
                                                 << mode << "): " << err(st);
        return ::testing::AssertionSuccess();
    }

    void expect_length(int32_t seq, size_t n) {
        int32_t len = -1;
        const moco_status st = moco_seq_length(e_.cache, seq, &len);
        EXPECT_EQ(st, MOCO_OK) << err(st);
        EXPECT_EQ(len, static_cast<int32_t>(n)) << "moco_seq_length after the forward calls";
    }

    Golden g_;
    Engine e_;
};

TEST_P(GoldenTest, ModelInfo) {
    moco_model_info info;
    std::memset(&info, 0, sizeof info);
    info.struct_size = static_cast<int>(sizeof info);
    const moco_status st = moco_model_get_info(e_.model, &info);
    ASSERT_EQ(st, MOCO_OK) << err(st);
    const Json& want = g_.info;
    EXPECT_STREQ(info.architecture, g_.architecture.c_str());
    EXPECT_EQ(info.vocab_size, want.at("vocab_size").integer());
    EXPECT_EQ(info.hidden_size, want.at("hidden_size").integer());
    EXPECT_EQ(info.intermediate_size, want.at("intermediate_size").integer());
    EXPECT_EQ(info.num_layers, want.at("num_layers").integer());
    EXPECT_EQ(info.num_heads, want.at("num_heads").integer());
    EXPECT_EQ(info.num_kv_heads, want.at("num_kv_heads").integer());
    EXPECT_EQ(info.head_dim, want.at("head_dim").integer());
    EXPECT_EQ(info.max_position_embeddings, want.at("max_position_embeddings").integer());
    EXPECT_EQ(info.output_size, want.at("output_size").integer());
    EXPECT_EQ(info.is_classifier, want.at("is_classifier").integer());
    EXPECT_EQ(info.dtype, want.at("dtype").integer());
    EXPECT_EQ(info.parameter_count, static_cast<uint64_t>(want.at("parameter_count").integer()));
}

TEST_P(GoldenTest, TeacherForced) {
    RowChecker check{g_, "teacher-forced"};
    for (const GoldenCase& c : g_.cases) {
        const int32_t seq = new_seq();
        std::vector<float> out;
        ASSERT_TRUE(forward(seq, c, 0, c.tokens.size(), MOCO_OUTPUT_ALL, &out));
        for (size_t p = 0; p < c.tokens.size(); ++p)
            check.compare(out.data() + p * static_cast<size_t>(g_.output_size), c, static_cast<int>(p));
        if (g_.classifier) {  // what HF's *ForSequenceClassification returns: the last position's score
            const float* last = out.data() + (c.tokens.size() - 1) * static_cast<size_t>(g_.output_size);
            for (size_t k = 0; k < c.score.size(); ++k)
                EXPECT_NEAR(last[k], c.score[k], g_.atol) << g_.label() << " pooled score " << k;
        }
        expect_length(seq, c.tokens.size());
        EXPECT_EQ(moco_seq_free(e_.cache, seq), MOCO_OK);
    }
    check.finish();
}

TEST_P(GoldenTest, GreedyDecode) {
    RowChecker check{g_, "decode"};
    for (const GoldenCase& c : g_.cases) {
        const int32_t seq = new_seq();
        std::vector<float> out;
        // Causal LM: prefill the prompt, then HF's path one token at a time. Classifier: the prompt's
        // first token, then one token at a time (a score per position through the cache).
        const size_t prefill = g_.classifier ? 1 : static_cast<size_t>(c.prompt_len);
        ASSERT_TRUE(forward(seq, c, 0, prefill, MOCO_OUTPUT_LAST, &out));
        check.compare(out.data(), c, static_cast<int>(prefill) - 1);
        for (size_t p = prefill; p < c.tokens.size(); ++p) {
            ASSERT_TRUE(forward(seq, c, p, p + 1, MOCO_OUTPUT_LAST, &out));
            check.compare(out.data(), c, static_cast<int>(p));
        }
        expect_length(seq, c.tokens.size());
        EXPECT_EQ(moco_seq_free(e_.cache, seq), MOCO_OK);
    }
    check.finish();
}

TEST_P(GoldenTest, ChunkedPrefill) {
    RowChecker check{g_, "chunks of 5"};
    for (const GoldenCase& c : g_.cases) {
        const int32_t seq = new_seq();
        std::vector<float> out;
        for (size_t b = 0; b < c.tokens.size(); b += kChunkTokens) {
            const size_t e = std::min(c.tokens.size(), b + kChunkTokens);
            ASSERT_TRUE(forward(seq, c, b, e, MOCO_OUTPUT_ALL, &out));
            for (size_t p = b; p < e; ++p)
                check.compare(out.data() + (p - b) * static_cast<size_t>(g_.output_size), c, static_cast<int>(p));
        }
        expect_length(seq, c.tokens.size());
        EXPECT_EQ(moco_seq_free(e_.cache, seq), MOCO_OK);
    }
    check.finish();
}

INSTANTIATE_TEST_SUITE_P(HF, GoldenTest, ::testing::ValuesIn(kFixtures),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

// The fixture list above and the directory agree, and every fixture's files are consistent.
TEST(GoldenFixtures, DirectoryMatchesList) {
    namespace fs = std::filesystem;
    const fs::path root(golden_root());
    ASSERT_TRUE(fs::is_directory(root)) << root << " is not a directory (set MOCO_GOLDEN_DIR?)";
    std::set<std::string> on_disk, listed(std::begin(kFixtures), std::end(kFixtures));
    for (const auto& entry : fs::directory_iterator(root))
        if (entry.is_directory() && fs::exists(entry.path() / "golden.json"))
            on_disk.insert(entry.path().filename().string());
    EXPECT_EQ(on_disk, listed) << "tests/golden/models and kFixtures in test_golden.cpp differ";
    for (const std::string& name : listed) {
        Golden g;
        EXPECT_NO_THROW(g = load_golden(name)) << name;
        EXPECT_FALSE(g.cases.empty()) << name;
        EXPECT_GT(g.atol, 0.0) << name;
    }
}

}  // namespace
