#pragma once

// Everything in bitlab::quant, for callers that want the whole module.

#include "quant/codebook.h"
#include "quant/dyadic.h"
#include "quant/layout.h"
#include "quant/log2.h"
#include "quant/packing.h"
#include "quant/random.h"
#include "quant/range.h"
#include "quant/rounding.h"
#include "quant/spec.h"
#include "quant/uniform.h"
