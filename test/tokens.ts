// A real tokenizer (o200k_base), so size limits are counted as a model counts them.
import { getEncoding } from "js-tiktoken";

const encoding = getEncoding("o200k_base");
export const countTokens = (text: string): number => encoding.encode(text).length;
