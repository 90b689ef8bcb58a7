;; The receive guard's scanner (src/relay/guard.ts, DataGuard): one pass over a slice of the
;; DATA stream for bare CR / bare LF, line length, header size and lines starting with '.'.
;; `npm run build:wasm` compiles this file into guard-scan-wasm.ts; a unit test fails when
;; that file is stale.
;;
;; One instance serves every guard: the caller copies a guard's state into the state area,
;; the slice into DATA, calls scan, and reads the state back (all synchronous).
;; State (i32 at byte offset): 0 pendingCR, 4 lineLen, 8 inHeader, 12 headerBytes,
;; 16 dotLines, 20 violation kind (0 none, 1 bare-cr, 2 bare-lf, 3 line-too-long,
;; 4 header-too-large), 24 violation offset (relative to the slice), 28 maxLine, 32 maxHeader.
;; DATA: the slice, at byte 64, at most 65536 bytes.
;;
;; Semantics are those of the former JS guard, step for step: a line's text is added (and its
;; limits checked) at its CR, or at the end of the chunk (`final`; a slice that is not the
;; chunk's last defers the check to where the chunk's JS walk would have made it); the first
;; violation wins. lineLen and headerBytes saturate at 2^30 - 1 (limits are clamped below).
;;
;; Body lines (after the header) go 64 bytes at a time: masks of CR and LF; the block is clean
;; when every LF sits right after a CR (lf == cr << 1, no CR in the last byte), and only the
;; line ending at the first LF can be long (lines inside a block are shorter than 64 <= maxLine).
;; Anything else falls back to the exact step: find the next CR or LF (16 bytes at a time) and
;; treat it as the JS guard did.
(module
  (memory (export "memory") 2)

  (func (export "scan") (param $len i32) (param $final i32)
    (local $pending i32) (local $lineLen i32) (local $inHeader i32) (local $header i32)
    (local $dot i32) (local $vk i32) (local $vo i32) (local $maxLine i32) (local $maxHeader i32)
    (local $pos i32) (local $i i32) (local $m i32)
    (local $crm i64) (local $lfm i64) (local $dm i64)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $pending (i32.load offset=0 (i32.const 0)))
    (local.set $lineLen (i32.load offset=4 (i32.const 0)))
    (local.set $inHeader (i32.load offset=8 (i32.const 0)))
    (local.set $header (i32.load offset=12 (i32.const 0)))
    (local.set $dot (i32.load offset=16 (i32.const 0)))
    (local.set $vk (i32.load offset=20 (i32.const 0)))
    (local.set $vo (i32.load offset=24 (i32.const 0)))
    (local.set $maxLine (i32.load offset=28 (i32.const 0)))
    (local.set $maxHeader (i32.load offset=32 (i32.const 0)))
    (block $done
      (br_if $done (i32.or (local.get $vk) (i32.eqz (local.get $len))))
      ;; The slice's first byte: the LF a pending CR needs, or maybe a line's first byte.
      (if (local.get $pending)
        (then
          (if (i32.ne (i32.load8_u offset=64 (i32.const 0)) (i32.const 10))
            (then (local.set $vk (i32.const 1)) (local.set $vo (i32.const -1)) (br $done)))
          (local.set $pending (i32.const 0))
          ;; end of line at the LF (offset 0)
          (if (local.get $inHeader)
            (then
              (local.set $header (i32.add (local.get $header) (i32.const 2)))
              (if (i32.eqz (local.get $lineLen))
                (then (local.set $inHeader (i32.const 0)))
                (else
                  (if (i32.gt_u (local.get $header) (local.get $maxHeader))
                    (then (local.set $vk (i32.const 4)) (local.set $vo (i32.const 0))))))))
          (local.set $lineLen (i32.const 0))
          (local.set $pos (i32.const 1))
          (if (i32.gt_u (local.get $len) (i32.const 1))
            (then
              (if (i32.eq (i32.load8_u offset=65 (i32.const 0)) (i32.const 46))
                (then (local.set $dot (i32.const 1)))))))
        (else
          (if (i32.eqz (local.get $lineLen))
            (then
              (if (i32.eq (i32.load8_u offset=64 (i32.const 0)) (i32.const 46))
                (then (local.set $dot (i32.const 1))))))))
      (loop $main
        (br_if $done (local.get $vk))
        (br_if $done (i32.ge_u (local.get $pos) (local.get $len)))
        ;; Fast path: clean 64-byte blocks of body text.
        (if (i32.and (i32.eqz (local.get $inHeader)) (i32.ge_u (local.get $maxLine) (i32.const 64)))
          (then
            (block $slow
              (loop $fast
                (br_if $slow (i32.gt_u (i32.add (local.get $pos) (i32.const 64)) (local.get $len)))
                (local.set $a (v128.load offset=64 (local.get $pos)))
                (local.set $b (v128.load offset=80 (local.get $pos)))
                (local.set $c (v128.load offset=96 (local.get $pos)))
                (local.set $d (v128.load offset=112 (local.get $pos)))
                (local.set $crm
                  (i64.or
                    (i64.extend_i32_u
                      (i32.or
                        (i8x16.bitmask (i8x16.eq (local.get $a) (v128.const i8x16 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13)))
                        (i32.shl (i8x16.bitmask (i8x16.eq (local.get $b) (v128.const i8x16 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13))) (i32.const 16))))
                    (i64.shl
                      (i64.extend_i32_u
                        (i32.or
                          (i8x16.bitmask (i8x16.eq (local.get $c) (v128.const i8x16 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13)))
                          (i32.shl (i8x16.bitmask (i8x16.eq (local.get $d) (v128.const i8x16 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13))) (i32.const 16))))
                      (i64.const 32))))
                (local.set $lfm
                  (i64.or
                    (i64.extend_i32_u
                      (i32.or
                        (i8x16.bitmask (i8x16.eq (local.get $a) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10)))
                        (i32.shl (i8x16.bitmask (i8x16.eq (local.get $b) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))) (i32.const 16))))
                    (i64.shl
                      (i64.extend_i32_u
                        (i32.or
                          (i8x16.bitmask (i8x16.eq (local.get $c) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10)))
                          (i32.shl (i8x16.bitmask (i8x16.eq (local.get $d) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))) (i32.const 16))))
                      (i64.const 32))))
                ;; Every LF right after a CR, every CR right before an LF, none pending at the end.
                ;; (The byte before the block is never a CR here: we start at a line start or
                ;; after a clean block.)
                (br_if $slow (i64.ne (i64.shl (local.get $crm) (i64.const 1)) (local.get $lfm)))
                (br_if $slow (i64.lt_s (local.get $crm) (i64.const 0)))
                (if (i64.eqz (local.get $lfm))
                  (then
                    (br_if $slow (i32.gt_u (i32.add (local.get $lineLen) (i32.const 64)) (local.get $maxLine)))
                    (if (i32.eqz (local.get $lineLen))
                      (then
                        (if (i32.eq (i32.load8_u offset=64 (local.get $pos)) (i32.const 46))
                          (then (local.set $dot (i32.const 1))))))
                    (local.set $lineLen (i32.add (local.get $lineLen) (i32.const 64))))
                  (else
                    ;; the line ending at the first LF: lineLen + the bytes before its CR
                    (br_if $slow
                      (i32.gt_u
                        (i32.add (local.get $lineLen) (i32.sub (i32.wrap_i64 (i64.ctz (local.get $lfm))) (i32.const 1)))
                        (local.get $maxLine)))
                    ;; line starts: after each LF (about one per block), and the block's first
                    ;; byte when it starts a line; one byte each
                    (if (i32.eqz (local.get $dot))
                      (then
                        (local.set $dm
                          (i64.or (i64.shl (local.get $lfm) (i64.const 1)) (i64.extend_i32_u (i32.eqz (local.get $lineLen)))))
                        (loop $starts
                          (if (i64.ne (local.get $dm) (i64.const 0))
                            (then
                              (if (i32.eq
                                    (i32.load8_u offset=64 (i32.add (local.get $pos) (i32.wrap_i64 (i64.ctz (local.get $dm)))))
                                    (i32.const 46))
                                (then (local.set $dot (i32.const 1))))
                              (local.set $dm (i64.and (local.get $dm) (i64.sub (local.get $dm) (i64.const 1))))
                              (br $starts))))))
                    ;; the bytes after the last LF start the next line
                    (local.set $lineLen (i32.wrap_i64 (i64.clz (local.get $lfm))))))
                (local.set $pos (i32.add (local.get $pos) (i32.const 64)))
                (br $fast)))
            (br_if $done (i32.ge_u (local.get $pos) (local.get $len)))
            ;; a line start the blocks left unchecked (after an LF in a block's last byte)
            (if (i32.eqz (local.get $lineLen))
              (then
                (if (i32.eq (i32.load8_u offset=64 (local.get $pos)) (i32.const 46))
                  (then (local.set $dot (i32.const 1))))))))
        ;; Exact step: the next CR or LF at or after pos (else len).
        (local.set $i (local.get $pos))
        (block $found
          (block $tail
            (loop $blocks
              (br_if $tail (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $len)))
              (local.set $a (v128.load offset=64 (local.get $i)))
              (local.set $m
                (i8x16.bitmask
                  (v128.or
                    (i8x16.eq (local.get $a) (v128.const i8x16 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13))
                    (i8x16.eq (local.get $a) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10)))))
              (if (local.get $m)
                (then
                  (local.set $i (i32.add (local.get $i) (i32.ctz (local.get $m))))
                  (br $found)))
              (local.set $i (i32.add (local.get $i) (i32.const 16)))
              (br $blocks)))
          (loop $bytes
            (br_if $found (i32.ge_u (local.get $i) (local.get $len)))
            (local.set $m (i32.load8_u offset=64 (local.get $i)))
            (br_if $found (i32.or (i32.eq (local.get $m) (i32.const 13)) (i32.eq (local.get $m) (i32.const 10))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $bytes)))
        ;; An LF before any CR is bare.
        (if (i32.lt_u (local.get $i) (local.get $len))
          (then
            (if (i32.eq (i32.load8_u offset=64 (local.get $i)) (i32.const 10))
              (then (local.set $vk (i32.const 2)) (local.set $vo (local.get $i)) (br $done)))))
        ;; The text up to i belongs to the current line (and the header while in it).
        (local.set $lineLen (i32.add (local.get $lineLen) (i32.sub (local.get $i) (local.get $pos))))
        (if (i32.gt_u (local.get $lineLen) (i32.const 0x3fffffff)) (then (local.set $lineLen (i32.const 0x3fffffff))))
        (if (local.get $inHeader)
          (then
            (local.set $header (i32.add (local.get $header) (i32.sub (local.get $i) (local.get $pos))))
            (if (i32.gt_u (local.get $header) (i32.const 0x3fffffff)) (then (local.set $header (i32.const 0x3fffffff))))))
        (if (i32.or (i32.lt_u (local.get $i) (local.get $len)) (local.get $final))
          (then
            (if (i32.gt_u (local.get $lineLen) (local.get $maxLine))
              (then (local.set $vk (i32.const 3)) (local.set $vo (local.get $i))))
            (if (i32.and (local.get $inHeader) (i32.gt_u (local.get $header) (local.get $maxHeader)))
              (then
                (if (i32.eqz (local.get $vk))
                  (then (local.set $vk (i32.const 4)) (local.set $vo (local.get $i))))))))
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        ;; A CR: its LF may be in the next chunk.
        (if (i32.eq (i32.add (local.get $i) (i32.const 1)) (local.get $len))
          (then (local.set $pending (i32.const 1)) (br $done)))
        (if (i32.ne (i32.load8_u offset=65 (local.get $i)) (i32.const 10))
          (then
            (if (i32.eqz (local.get $vk))
              (then (local.set $vk (i32.const 1)) (local.set $vo (local.get $i))))
            (br $done)))
        ;; CRLF: end of line at the LF (i + 1).
        (if (local.get $inHeader)
          (then
            (local.set $header (i32.add (local.get $header) (i32.const 2)))
            (if (i32.eqz (local.get $lineLen))
              (then (local.set $inHeader (i32.const 0)))
              (else
                (if (i32.gt_u (local.get $header) (local.get $maxHeader))
                  (then
                    (if (i32.eqz (local.get $vk))
                      (then (local.set $vk (i32.const 4)) (local.set $vo (i32.add (local.get $i) (i32.const 1)))))))))))
        (local.set $lineLen (i32.const 0))
        (local.set $pos (i32.add (local.get $i) (i32.const 2)))
        (if (i32.lt_u (local.get $pos) (local.get $len))
          (then
            (if (i32.eq (i32.load8_u offset=64 (local.get $pos)) (i32.const 46))
              (then (local.set $dot (i32.const 1))))))
        (br $main)))
    (i32.store offset=0 (i32.const 0) (local.get $pending))
    (i32.store offset=4 (i32.const 0) (local.get $lineLen))
    (i32.store offset=8 (i32.const 0) (local.get $inHeader))
    (i32.store offset=12 (i32.const 0) (local.get $header))
    (i32.store offset=16 (i32.const 0) (local.get $dot))
    (i32.store offset=20 (i32.const 0) (local.get $vk))
    (i32.store offset=24 (i32.const 0) (local.get $vo))))
