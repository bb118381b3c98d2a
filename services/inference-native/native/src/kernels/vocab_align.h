// L6 vocabulary alignment (methods-logit-weight.md §1.1): which first-V* columns several models'
// logits can be combined over. Models may differ only in alignment padding: V* = min head rows,
// allowed iff every tokenizer maps each id < V* to the same token string and all share the
// stopping EOS id (which must lie below V*).
#pragma once

#include "moco.h"

namespace moco::kernels {

// `vocabs` were validated by the caller (api_logits.cpp). On success *common = V*.
moco_status vocab_align(const moco_vocab* vocabs, int n, int mode, int* common);

}  // namespace moco::kernels
