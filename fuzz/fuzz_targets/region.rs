//! The YAML region reader (`detect::region::regions`): a line-and-indentation reading that must
//! accept any bytes, and return regions in order, inside the text, on line boundaries.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scour::detect::region;

fuzz_target!(|data: &[u8]| {
    let regions = region::regions(data);
    for r in &regions {
        assert!(
            r.range.start <= r.range.end && r.range.end <= data.len(),
            "region {:?} inside {} bytes",
            r.range,
            data.len()
        );
        assert!(
            r.range.start == 0 || data[r.range.start - 1] == b'\n',
            "a region starts at a line"
        );
    }
    for pair in regions.windows(2) {
        assert!(
            pair[0].range.start <= pair[1].range.start,
            "regions in order"
        );
    }
});
