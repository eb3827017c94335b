#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| evrule_fuzz::targets::input_transformer(data));
