#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| evrule_fuzz::targets::add_remove(data));
