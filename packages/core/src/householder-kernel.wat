;; The dense ‖A‖₂ of denseSpectralNorm (dense-spectral-norm.ts) up to its
;; last, cheap step, in WebAssembly: the Gram matrix (A/s)ᵀ(A/s) and its
;; Householder reduction to tridiagonal form (householder.ts), in float64,
;; two SIMD lanes at a time.
;;
;; Why: for a recurrent kernel of n = 128 the two cost ~4.5 ms in JavaScript
;; at every measurement, more than any other host step but the propagation.
;; Sums run in another order than the JS's, so the tridiagonal, and σ from
;; it, agree with them to rounding, not bit for bit.
;;
;; Edit this file, then run `npm run wasm -w @gradscope/core`: it writes
;; householder-kernel-bytes.ts, which wasm-kernel.test.ts checks against it.
;;
;; Memory, laid out by the caller (householder-kernel.ts), byte offsets:
;;   a  float32 [rows, n]  the matrix, row-major
;;   g  float64 [n, n]     the Gram matrix, then overwritten by the reduction
;;   d  float64 [n]        out: the tridiagonal's diagonal
;;   e  float64 [n]        out: its off-diagonal (e[i] couples rows i and i + 1)
;;   x, v, p  float64 [n] each, scratch
(module
  (memory (export "memory") 1)

  ;; Σ_{c<len} a_c b_c over float64s: pairs in two lanes, then an odd last one.
  (func $dot (param $a i32) (param $b i32) (param $len i32) (result f64)
    (local $c i32) (local $pairs i32) (local $acc v128) (local $sum f64)
    (local.set $pairs (i32.shl (i32.shr_u (local.get $len) (i32.const 1)) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $pairs)))
        (local.set $acc (f64x2.add (local.get $acc)
          (f64x2.mul (v128.load (i32.add (local.get $a) (local.get $c))) (v128.load (i32.add (local.get $b) (local.get $c))))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next)))
    (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
    (if (i32.and (local.get $len) (i32.const 1))
      (then (local.set $sum (f64.add (local.get $sum)
        (f64.mul (f64.load (i32.add (local.get $a) (local.get $c))) (f64.load (i32.add (local.get $b) (local.get $c))))))))
    (local.get $sum))

  ;; y_c ← y_c + s·x_c for c < len.
  (func $axpy (param $y i32) (param $x i32) (param $s f64) (param $len i32)
    (local $c i32) (local $pairs i32) (local $sv v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $pairs (i32.shl (i32.shr_u (local.get $len) (i32.const 1)) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $pairs)))
        (v128.store (i32.add (local.get $y) (local.get $c))
          (f64x2.add (v128.load (i32.add (local.get $y) (local.get $c))) (f64x2.mul (local.get $sv) (v128.load (i32.add (local.get $x) (local.get $c))))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next)))
    (if (i32.and (local.get $len) (i32.const 1))
      (then (f64.store (i32.add (local.get $y) (local.get $c))
        (f64.add (f64.load (i32.add (local.get $y) (local.get $c))) (f64.mul (local.get $s) (f64.load (i32.add (local.get $x) (local.get $c)))))))))

  ;; y_c ← y_c + s·x_c − t·z_c for c < len: the rank-2 update's row.
  (func $update (param $y i32) (param $x i32) (param $s f64) (param $z i32) (param $t f64) (param $len i32)
    (local $c i32) (local $pairs i32) (local $sv v128) (local $tv v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $tv (f64x2.splat (local.get $t)))
    (local.set $pairs (i32.shl (i32.shr_u (local.get $len) (i32.const 1)) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $pairs)))
        (v128.store (i32.add (local.get $y) (local.get $c))
          (f64x2.sub
            (f64x2.add (v128.load (i32.add (local.get $y) (local.get $c))) (f64x2.mul (local.get $sv) (v128.load (i32.add (local.get $x) (local.get $c)))))
            (f64x2.mul (local.get $tv) (v128.load (i32.add (local.get $z) (local.get $c))))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next)))
    (if (i32.and (local.get $len) (i32.const 1))
      (then (f64.store (i32.add (local.get $y) (local.get $c))
        (f64.sub
          (f64.add (f64.load (i32.add (local.get $y) (local.get $c))) (f64.mul (local.get $s) (f64.load (i32.add (local.get $x) (local.get $c)))))
          (f64.mul (local.get $t) (f64.load (i32.add (local.get $z) (local.get $c)))))))))

  ;; g ← (A/s)ᵀ(A/s): the upper triangle row by row of A (terms of zero entries
  ;; skipped), then mirrored. x is a scratch row of n float64s.
  (func (export "gram") (param $a i32) (param $rows i32) (param $n i32) (param $scale f64) (param $g i32) (param $x i32)
    (local $r i32) (local $i i32) (local $j i32) (local $rowBytes i32) (local $xi f64) (local $at i32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $g) (i32.const 0) (i32.mul (local.get $n) (local.get $rowBytes)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $i (i32.const 0))
        (block $loaded
          (loop $load
            (br_if $loaded (i32.ge_u (local.get $i) (local.get $n)))
            (f64.store (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))
              (f64.div (f64.promote_f32 (f32.load (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $n)) (local.get $i)) (i32.const 2)))))
                (local.get $scale)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $load)))
        (local.set $i (i32.const 0))
        (block $termsDone
          (loop $terms
            (br_if $termsDone (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $xi (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))))
            (if (f64.ne (local.get $xi) (f64.const 0))
              (then
                (local.set $at (i32.shl (local.get $i) (i32.const 3)))
                (call $axpy (i32.add (i32.add (local.get $g) (i32.mul (local.get $i) (local.get $rowBytes))) (local.get $at))
                  (i32.add (local.get $x) (local.get $at)) (local.get $xi)
                  (i32.sub (local.get $n) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $terms)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))
    ;; Mirror: g_ij = g_ji below the diagonal.
    (local.set $i (i32.const 1))
    (block $mirrored
      (loop $mirror
        (br_if $mirrored (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $i)))
            (f64.store (i32.add (local.get $g) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
              (f64.load (i32.add (local.get $g) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $n)) (local.get $i)) (i32.const 3)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $col)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $mirror))))

  ;; Householder reduction of the symmetric g (n×n, row-major, overwritten)
  ;; to the tridiagonal (d, e), as householder.ts: for each k, the reflection
  ;; H = I − 2vvᵀ/vᵀv with v = x − αe₁ clears row and column k beyond k + 1;
  ;; p = (2/vᵀv) G v, q = p − (vᵀp/vᵀv) v, G ← G − v qᵀ − q vᵀ on the trailing block.
  (func (export "tridiagonalise") (param $g i32) (param $n i32) (param $d i32) (param $e i32) (param $v i32) (param $p i32)
    (local $k i32) (local $i i32) (local $m i32) (local $rowBytes i32) (local $from i32) (local $rowK i32)
    (local $norm2 f64) (local $alpha f64) (local $vv f64) (local $scale f64) (local $vp f64) (local $half f64)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 3)))
    (block $reduced
      (loop $column
        (br_if $reduced (i32.ge_s (local.get $k) (i32.sub (local.get $n) (i32.const 2))))
        ;; The trailing indices k+1..n−1: m of them, from byte offset $from within a row.
        (local.set $m (i32.sub (i32.sub (local.get $n) (local.get $k)) (i32.const 1)))
        (local.set $from (i32.shl (i32.add (local.get $k) (i32.const 1)) (i32.const 3)))
        (local.set $rowK (i32.add (local.get $g) (i32.mul (local.get $k) (local.get $rowBytes))))
        ;; x = row k beyond the diagonal (G symmetric: column k).
        (memory.copy (i32.add (local.get $v) (local.get $from)) (i32.add (local.get $rowK) (local.get $from)) (i32.shl (local.get $m) (i32.const 3)))
        (local.set $norm2 (call $dot (i32.add (local.get $v) (local.get $from)) (i32.add (local.get $v) (local.get $from)) (local.get $m)))
        (local.set $alpha (f64.sqrt (local.get $norm2)))
        (if (f64.ge (f64.load (i32.add (local.get $v) (local.get $from))) (f64.const 0))
          (then (local.set $alpha (f64.neg (local.get $alpha)))))
        (f64.store (i32.add (local.get $e) (i32.shl (local.get $k) (i32.const 3))) (local.get $alpha))
        (f64.store (i32.add (local.get $d) (i32.shl (local.get $k) (i32.const 3)))
          (f64.load (i32.add (local.get $rowK) (i32.shl (local.get $k) (i32.const 3)))))
        (f64.store (i32.add (local.get $v) (local.get $from))
          (f64.sub (f64.load (i32.add (local.get $v) (local.get $from))) (local.get $alpha)))
        (local.set $vv (call $dot (i32.add (local.get $v) (local.get $from)) (i32.add (local.get $v) (local.get $from)) (local.get $m)))
        ;; As householder.ts: no reflection where 2/vᵀv overflows (vᵀv zero or subnormal).
        (local.set $scale (f64.div (f64.const 2) (local.get $vv)))
        (if (f64.ne (local.get $scale) (f64.const inf))
          (then
            ;; p_i = scale · (G v)_i and vᵀp, for i in the trailing block.
            (local.set $vp (f64.const 0))
            (local.set $i (i32.add (local.get $k) (i32.const 1)))
            (block $pDone
              (loop $pRow
                (br_if $pDone (i32.ge_u (local.get $i) (local.get $n)))
                (f64.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))
                  (f64.mul (local.get $scale)
                    (call $dot (i32.add (i32.add (local.get $g) (i32.mul (local.get $i) (local.get $rowBytes))) (local.get $from))
                      (i32.add (local.get $v) (local.get $from)) (local.get $m))))
                (local.set $vp (f64.add (local.get $vp)
                  (f64.mul (f64.load (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 3))))
                    (f64.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $pRow)))
            (local.set $half (f64.mul (f64.mul (local.get $scale) (f64.const 0.5)) (local.get $vp)))
            ;; q = p − half·v, in p.
            (call $axpy (i32.add (local.get $p) (local.get $from)) (i32.add (local.get $v) (local.get $from)) (f64.neg (local.get $half)) (local.get $m))
            ;; Row i of the trailing block: g_i ← g_i − v_i q − q_i v.
            (local.set $i (i32.add (local.get $k) (i32.const 1)))
            (block $gDone
              (loop $gRow
                (br_if $gDone (i32.ge_u (local.get $i) (local.get $n)))
                (call $update (i32.add (i32.add (local.get $g) (i32.mul (local.get $i) (local.get $rowBytes))) (local.get $from))
                  (i32.add (local.get $p) (local.get $from))
                  (f64.neg (f64.load (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 3)))))
                  (i32.add (local.get $v) (local.get $from))
                  (f64.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3))))
                  (local.get $m))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $gRow)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $column)))
    ;; The last 2×2 block as it stands.
    (if (i32.ge_s (local.get $n) (i32.const 2))
      (then
        (f64.store (i32.add (local.get $d) (i32.shl (i32.sub (local.get $n) (i32.const 2)) (i32.const 3)))
          (f64.load (i32.add (local.get $g) (i32.shl (i32.mul (i32.sub (local.get $n) (i32.const 2)) (i32.add (local.get $n) (i32.const 1))) (i32.const 3)))))
        (f64.store (i32.add (local.get $e) (i32.shl (i32.sub (local.get $n) (i32.const 2)) (i32.const 3)))
          (f64.load (i32.add (local.get $g) (i32.shl (i32.sub (i32.mul (local.get $n) (local.get $n)) (i32.const 2)) (i32.const 3)))))))
    (f64.store (i32.add (local.get $d) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3)))
      (f64.load (i32.add (local.get $g) (i32.shl (i32.sub (i32.mul (local.get $n) (local.get $n)) (i32.const 1)) (i32.const 3))))))
)
