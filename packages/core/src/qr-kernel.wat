;; The propagation's QR (qr.ts) in WebAssembly: the same repeated modified
;; Gram–Schmidt, in float64, with the dot products and updates two lanes at
;; a time (f64x2) and two accumulators per dot.
;;
;; Why: the QR of every step's [S, k, n] block is the propagation's largest
;; cost in JavaScript (~12 ms of a 70 ms SimpleRNN n = 128, T = 100
;; measurement); here the same arithmetic takes about a fifth of that.
;; Sums run in another order than qr.ts's, so Q and R agree with it to
;; rounding (~1e-14), not bit for bit.
;;
;; Edit this file, then run `npm run wasm -w @gradscope/core`: it writes
;; qr-kernel-bytes.ts, which wasm-kernel.test.ts checks against this text.
;;
;; Memory, laid out by the caller (qr-kernel.ts), byte offsets:
;;   y  float32 [samples, k, n]  the rows to factor
;;   q  float64 [samples, k, n]  out: orthonormal rows
;;   r  float64 [samples, k, k]  out: upper triangular, R_ii > 0
;;   w  float64 [n]              scratch
;; n must be a multiple of 4.
(module
  (memory (export "memory") 1)

  (func $hsum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; Σ a_c b_c over n float64s: two f64x2 accumulators, so that two chains of additions run at once.
  (func $dot (param $a i32) (param $b i32) (param $n i32) (result f64)
    (local $c i32) (local $end i32) (local $acc0 v128) (local $acc1 v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
        (local.set $acc0 (f64x2.add (local.get $acc0)
          (f64x2.mul (v128.load (i32.add (local.get $a) (local.get $c))) (v128.load (i32.add (local.get $b) (local.get $c))))))
        (local.set $acc1 (f64x2.add (local.get $acc1)
          (f64x2.mul (v128.load offset=16 (i32.add (local.get $a) (local.get $c))) (v128.load offset=16 (i32.add (local.get $b) (local.get $c))))))
        (local.set $c (i32.add (local.get $c) (i32.const 32)))
        (br $next)))
    (call $hsum (f64x2.add (local.get $acc0) (local.get $acc1))))

  ;; w ← w − s·q over n float64s.
  (func $subtract (param $w i32) (param $q i32) (param $s f64) (param $n i32)
    (local $c i32) (local $end i32) (local $sv v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
        (v128.store (i32.add (local.get $w) (local.get $c))
          (f64x2.sub (v128.load (i32.add (local.get $w) (local.get $c)))
            (f64x2.mul (local.get $sv) (v128.load (i32.add (local.get $q) (local.get $c))))))
        (v128.store offset=16 (i32.add (local.get $w) (local.get $c))
          (f64x2.sub (v128.load offset=16 (i32.add (local.get $w) (local.get $c)))
            (f64x2.mul (local.get $sv) (v128.load offset=16 (i32.add (local.get $q) (local.get $c))))))
        (local.set $c (i32.add (local.get $c) (i32.const 32)))
        (br $next))))

  ;; w ← row `row` of y (float32 → float64); returns ‖w‖₂.
  (func $load (param $y i32) (param $w i32) (param $n i32) (result f64)
    (local $c i32) (local $x v128) (local $acc v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $n)))
        (local.set $x (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $y) (i32.shl (local.get $c) (i32.const 2))))))
        (v128.store (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 3))) (local.get $x))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $x) (local.get $x))))
        (local.set $c (i32.add (local.get $c) (i32.const 2)))
        (br $next)))
    (f64.sqrt (call $hsum (local.get $acc))))

  ;; q ← w / norm over n float64s.
  (func $store (param $q i32) (param $w i32) (param $norm f64) (param $n i32)
    (local $c i32) (local $end i32) (local $nv v128)
    (local.set $nv (f64x2.splat (local.get $norm)))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
        (v128.store (i32.add (local.get $q) (local.get $c)) (f64x2.div (v128.load (i32.add (local.get $w) (local.get $c))) (local.get $nv)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next))))

  ;; Factors every sample's k rows. Returns 0, or s + 1 for the first sample
  ;; s where a residual norm vanished, was not finite, or left the range
  ;; where its sum of squares is exact (1e-145 … 1e145): qr.ts then factors
  ;; the whole block itself (a fresh direction, NaN propagation, scaled norms).
  (func (export "qr") (param $y i32) (param $q i32) (param $r i32) (param $w i32) (param $samples i32) (param $k i32) (param $n i32) (result i32)
    (local $s i32) (local $i i32) (local $p i32) (local $pass i32) (local $rowBytes i32)
    (local $qBlock i32) (local $rBlock i32) (local $qRow i32) (local $entry i32)
    (local $norm f64) (local $next f64) (local $dot f64)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 3)))
    (block $samplesDone
      (loop $sample
        (br_if $samplesDone (i32.ge_u (local.get $s) (local.get $samples)))
        (local.set $qBlock (i32.add (local.get $q) (i32.mul (i32.mul (local.get $s) (local.get $k)) (local.get $rowBytes))))
        (local.set $rBlock (i32.add (local.get $r) (i32.shl (i32.mul (i32.mul (local.get $s) (local.get $k)) (local.get $k)) (i32.const 3))))
        (memory.fill (local.get $rBlock) (i32.const 0) (i32.shl (i32.mul (local.get $k) (local.get $k)) (i32.const 3)))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $k)))
            (local.set $norm (call $load
              (i32.add (local.get $y) (i32.shl (i32.mul (i32.add (i32.mul (local.get $s) (local.get $k)) (local.get $i)) (local.get $n)) (i32.const 2)))
              (local.get $w) (local.get $n)))
            ;; Passes of modified Gram–Schmidt against rows 0..i−1 while a pass removes
            ;; more than 30% of w (REPEAT_RATIO 0.7, at most MAX_PASSES 4: gram-schmidt.ts).
            (local.set $pass (i32.const 0))
            (block $passesDone
              (loop $passes
                (br_if $passesDone (i32.or (i32.eqz (local.get $i)) (i32.ge_u (local.get $pass) (i32.const 4))))
                (local.set $p (i32.const 0))
                (block $againstDone
                  (loop $against
                    (br_if $againstDone (i32.ge_u (local.get $p) (local.get $i)))
                    (local.set $qRow (i32.add (local.get $qBlock) (i32.mul (local.get $p) (local.get $rowBytes))))
                    (local.set $dot (call $dot (local.get $qRow) (local.get $w) (local.get $n)))
                    (local.set $entry (i32.add (local.get $rBlock) (i32.shl (i32.add (i32.mul (local.get $p) (local.get $k)) (local.get $i)) (i32.const 3))))
                    (f64.store (local.get $entry) (f64.add (f64.load (local.get $entry)) (local.get $dot)))
                    (call $subtract (local.get $w) (local.get $qRow) (local.get $dot) (local.get $n))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (br $against)))
                (local.set $next (f64.sqrt (call $dot (local.get $w) (local.get $w) (local.get $n))))
                (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
                (if (f64.lt (local.get $next) (f64.mul (f64.const 0.7) (local.get $norm)))
                  (then (local.set $norm (local.get $next)) (br $passes)))
                (local.set $norm (local.get $next))))
            (if (i32.eqz (i32.and (f64.gt (local.get $norm) (f64.const 1e-145)) (f64.lt (local.get $norm) (f64.const 1e145))))
              (then (return (i32.add (local.get $s) (i32.const 1)))))
            (f64.store (i32.add (local.get $rBlock) (i32.shl (i32.mul (local.get $i) (i32.add (local.get $k) (i32.const 1))) (i32.const 3))) (local.get $norm))
            (call $store (i32.add (local.get $qBlock) (i32.mul (local.get $i) (local.get $rowBytes))) (local.get $w) (local.get $norm) (local.get $n))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $row)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $sample)))
    (i32.const 0))
)
