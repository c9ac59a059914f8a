;; The block arithmetic of the preconditioned warm run (lobpcg.ts) in
;; WebAssembly: per row of the block, passes over float32 vectors of n
;; entries, four lanes at a time.
;;
;;   precondition  r = Ax − θ x, ‖r‖², w = r / max(θ − diag(J Jᵀ), floor)
;;   orthonormalizeP, orthonormalizeW
;;                 p made orthonormal to x (its image following it), then
;;                 w to x and p, on the vectors themselves
;;   grams         the twelve dot products the 3 × 3 Rayleigh–Ritz needs:
;;                 xx xw xp ww wp pp | x·Ax x·Aw x·Ap w·Aw w·Ap p·Ap
;;   combine       x ← c0 x + c1 w + c2 p,  p ← c3 w + c4 p, and the same for
;;                 Ax, Ap (the images follow the vectors: no product for them)
;;   scaleRows, finishOuter
;;                 the two halves of the product A w = s ⊙ ((s ⊙ w) G) + ι w
;;                 around the backend's matrix product by G (lobpcg.ts)
;;
;; Why: on tfjs kernels an iteration's block work is several Lanczos steps'
;; elementwise traffic (bench/RESULTS.md, thirty-third round); here each row
;; stays in the cache for its passes, and the backend makes only the product
;; by G. The sums run
;; in four float32 lanes (32 terms each at n = 128) added in float64 at the
;; end: the Grams in float64 lanes cost nine times as much and moved no
;; map's σ.
;;
;; Edit this file, then run `npm run wasm -w @gradscope/core`: it writes
;; lobpcg-kernel-bytes.ts, which wasm-kernel.test.ts checks against this text.
;;
;; Memory, laid out by the caller (lobpcg.ts), byte offsets: float32 rows
;; [rows, n] for x, Ax, w, Aw, p, Ap, diag(J Jᵀ), the scale s and a staging
;; block for s ⊙ w; per row float32 θ, ι, shift and floor, float64 ‖r‖²,
;; float64 Grams [rows, 12] and float32 coefficients [rows, 6] (c0 … c4 and a
;; spare). n must be a multiple of 4.
(module
  (memory (export "memory") 1)
  ;; Per row: r = Ax − θ x; rr[r] = ‖r‖² (float32 lanes, added in float64); w = r / max(shift − diag, floor).
  (func (export "precondition") (param $x i32) (param $ax i32) (param $w i32) (param $diag i32)
      (param $theta i32) (param $shift i32) (param $floor i32) (param $rr i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $c i32) (local $rowBytes i32) (local $at i32)
    (local $th v128) (local $sh v128) (local $fl v128) (local $res v128) (local $acc v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $at (i32.mul (local.get $r) (local.get $rowBytes)))
      (local.set $th (f32x4.splat (f32.load (i32.add (local.get $theta) (i32.shl (local.get $r) (i32.const 2))))))
      (local.set $sh (f32x4.splat (f32.load (i32.add (local.get $shift) (i32.shl (local.get $r) (i32.const 2))))))
      (local.set $fl (f32x4.splat (f32.load (i32.add (local.get $floor) (i32.shl (local.get $r) (i32.const 2))))))
      (local.set $acc (v128.const i64x2 0 0))
      (local.set $c (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $rowBytes)))
        (local.set $res (f32x4.sub (v128.load (i32.add (local.get $ax) (i32.add (local.get $at) (local.get $c))))
          (f32x4.mul (local.get $th) (v128.load (i32.add (local.get $x) (i32.add (local.get $at) (local.get $c)))))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $res) (local.get $res))))
        (v128.store (i32.add (local.get $w) (i32.add (local.get $at) (local.get $c)))
          (f32x4.div (local.get $res) (f32x4.max (f32x4.sub (local.get $sh) (v128.load (i32.add (local.get $diag) (i32.add (local.get $at) (local.get $c))))) (local.get $fl))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next)))
      (f64.store (i32.add (local.get $rr) (i32.shl (local.get $r) (i32.const 3))) (call $hsum4 (local.get $acc)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; v ← s·v + t·u over a row (float32).
  (func $rowUpdate (param $v i32) (param $u i32) (param $s f32) (param $t f32) (param $bytes i32)
    (local $c i32) (local $sv v128) (local $tv v128)
    (local.set $sv (f32x4.splat (local.get $s)))
    (local.set $tv (f32x4.splat (local.get $t)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $c) (local.get $bytes)))
      (v128.store (i32.add (local.get $v) (local.get $c))
        (f32x4.add (f32x4.mul (local.get $sv) (v128.load (i32.add (local.get $v) (local.get $c))))
          (f32x4.mul (local.get $tv) (v128.load (i32.add (local.get $u) (local.get $c))))))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (br $next))))

  ;; Per row: p ← p − (x·p) x and Ap alike with Ax, then both at p's unit length: the third vector of the
  ;; block orthonormal to x, its image following it. Where less than DEPENDENT (1e-3) of p's length is left
  ;; outside x, p and Ap become zero (the Rayleigh–Ritz leaves p out): Ap follows p by combination, not by a
  ;; product, so its float32 rounding, divided by what is left of p, would outgrow it. p is made orthonormal to
  ;; x only, before w is made orthonormal to both: the preconditioned residual w often points where p does
  ;; (|w·p| up to 0.99995 on a SimpleRNN's clustered maps), and then the cancellation must fall on w, whose
  ;; image the product makes afresh, not on p (p's image off by 1% and a Ritz value above σ_max² came of it).
  (func (export "orthonormalizeP") (param $x i32) (param $p i32) (param $ax i32) (param $ap i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $c i32) (local $end i32) (local $vp v128) (local $xp v128) (local $p0 v128) (local $pp v128)
    (local $sa v128) (local $len f64) (local $s f32)
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $end (i32.mul (i32.add (local.get $r) (i32.const 1)) (i32.shl (local.get $n) (i32.const 2))))
      ;; x·p and p·p in one loop (x is unit: no division by its length),
      (local.set $xp (v128.const i64x2 0 0))
      (local.set $p0 (v128.const i64x2 0 0))
      (local.set $c (i32.mul (local.get $r) (i32.shl (local.get $n) (i32.const 2))))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
        (local.set $vp (v128.load (i32.add (local.get $p) (local.get $c))))
        (local.set $xp (f32x4.add (local.get $xp) (f32x4.mul (local.get $vp) (v128.load (i32.add (local.get $x) (local.get $c))))))
        (local.set $p0 (f32x4.add (local.get $p0) (f32x4.mul (local.get $vp) (local.get $vp))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next)))
      ;; then p −= (x·p) x and Ap −= (x·p) Ax, with p·p of the result on the way,
      (local.set $sa (f32x4.splat (f32.demote_f64 (call $hsum4 (local.get $xp)))))
      (local.set $pp (v128.const i64x2 0 0))
      (local.set $c (i32.mul (local.get $r) (i32.shl (local.get $n) (i32.const 2))))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
        (local.set $vp (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $c))) (f32x4.mul (local.get $sa) (v128.load (i32.add (local.get $x) (local.get $c))))))
        (v128.store (i32.add (local.get $p) (local.get $c)) (local.get $vp))
        (local.set $pp (f32x4.add (local.get $pp) (f32x4.mul (local.get $vp) (local.get $vp))))
        (v128.store (i32.add (local.get $ap) (local.get $c))
          (f32x4.sub (v128.load (i32.add (local.get $ap) (local.get $c))) (f32x4.mul (local.get $sa) (v128.load (i32.add (local.get $ax) (local.get $c))))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next)))
      ;; then both at p's unit length, or zero where less than DEPENDENT of p's length was left.
      (local.set $len (call $hsum4 (local.get $pp)))
      (local.set $s (f32.const 0))
      (if (f64.gt (local.get $len) (f64.mul (f64.const 1e-6) (call $hsum4 (local.get $p0))))
        (then (local.set $s (f32.demote_f64 (f64.div (f64.const 1) (f64.sqrt (local.get $len)))))))
      (local.set $sa (f32x4.splat (local.get $s)))
      (local.set $c (i32.mul (local.get $r) (i32.shl (local.get $n) (i32.const 2))))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
        (v128.store (i32.add (local.get $p) (local.get $c)) (f32x4.mul (local.get $sa) (v128.load (i32.add (local.get $p) (local.get $c)))))
        (v128.store (i32.add (local.get $ap) (local.get $c)) (f32x4.mul (local.get $sa) (v128.load (i32.add (local.get $ap) (local.get $c)))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; Per row: w ← w − (x·w) x − (p·w) p, twice (w can lie almost in their span), then w at unit length (a zero w
  ;; stays zero): the block's second vector orthonormal to x and p on the vectors themselves, so that the Grams
  ;; do not subtract nearly equal numbers. x and p are unit or zero here (the Rayleigh–Ritz's combination and
  ;; orthonormalizeP), so no division by their lengths. Its image is the product of this w.
  (func (export "orthonormalizeW") (param $x i32) (param $p i32) (param $w i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $c i32) (local $bytes i32) (local $xr i32) (local $pr i32) (local $wr i32) (local $pass i32)
    (local $vw v128) (local $ax v128) (local $ap v128) (local $sa v128) (local $sb v128) (local $ww v128) (local $len f64)
    (local $w0 v128) (local $s0 f32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $bytes))))
      (local.set $pr (i32.add (local.get $p) (i32.mul (local.get $r) (local.get $bytes))))
      (local.set $wr (i32.add (local.get $w) (i32.mul (local.get $r) (local.get $bytes))))
      (local.set $pass (i32.const 0))
      (block $passesDone (loop $passes
        (br_if $passesDone (i32.ge_u (local.get $pass) (i32.const 2)))
        ;; x·w and p·w in one loop (in the first pass w·w too),
        (local.set $ax (v128.const i64x2 0 0))
        (local.set $ap (v128.const i64x2 0 0))
        (local.set $c (i32.const 0))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $c) (local.get $bytes)))
          (local.set $vw (v128.load (i32.add (local.get $wr) (local.get $c))))
          (if (i32.eqz (local.get $pass)) (then (local.set $w0 (f32x4.add (local.get $w0) (f32x4.mul (local.get $vw) (local.get $vw))))))
          (local.set $ax (f32x4.add (local.get $ax) (f32x4.mul (local.get $vw) (v128.load (i32.add (local.get $xr) (local.get $c))))))
          (local.set $ap (f32x4.add (local.get $ap) (f32x4.mul (local.get $vw) (v128.load (i32.add (local.get $pr) (local.get $c))))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br $next)))
        ;; then w −= (x·w) x + (p·w) p, with w·w of the result on the way.
        (local.set $sa (f32x4.splat (f32.demote_f64 (call $hsum4 (local.get $ax)))))
        (local.set $sb (f32x4.splat (f32.demote_f64 (call $hsum4 (local.get $ap)))))
        (local.set $ww (v128.const i64x2 0 0))
        (local.set $c (i32.const 0))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $c) (local.get $bytes)))
          (local.set $vw (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $wr) (local.get $c)))
            (f32x4.mul (local.get $sa) (v128.load (i32.add (local.get $xr) (local.get $c)))))
            (f32x4.mul (local.get $sb) (v128.load (i32.add (local.get $pr) (local.get $c))))))
          (v128.store (i32.add (local.get $wr) (local.get $c)) (local.get $vw))
          (local.set $ww (f32x4.add (local.get $ww) (f32x4.mul (local.get $vw) (local.get $vw))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br $next)))
        (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
        (br $passes)))
      ;; Less than DEPENDENT (1e-3) of w's length left outside x and p: w is zero (the Rayleigh–Ritz leaves it out).
      ;; Unit, that rounding would pass for a third direction where there is none: where J Jᵀ has rank 2 (a ReLU
      ;; SimpleRNN's step with two live units) x, w and p share a plane, and σ came out 700 times σ_max.
      (local.set $len (call $hsum4 (local.get $ww)))
      (local.set $s0 (f32.const 0))
      (if (f64.gt (local.get $len) (f64.mul (f64.const 1e-6) (call $hsum4 (local.get $w0))))
        (then (local.set $s0 (f32.demote_f64 (f64.div (f64.const 1) (f64.sqrt (local.get $len)))))))
      (call $rowUpdate (local.get $wr) (local.get $wr) (local.get $s0) (f32.const 0) (local.get $bytes))
      (local.set $w0 (v128.const i64x2 0 0))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; The four float32 lanes of v added in float64.
  (func $hsum4 (param $v v128) (result f64)
    (f64.add
      (f64.add (f64.promote_f32 (f32x4.extract_lane 0 (local.get $v))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $v))))
      (f64.add (f64.promote_f32 (f32x4.extract_lane 2 (local.get $v))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $v))))))
  ;; Per row the twelve dot products, into g[row·12 …] (float64): xx xw xp ww wp pp x·Ax x·Aw x·Ap w·Aw w·Ap p·Ap.
  (func (export "grams") (param $x i32) (param $w i32) (param $p i32) (param $ax i32) (param $aw i32) (param $ap i32)
      (param $g i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $c i32) (local $rowBytes i32) (local $at i32) (local $o i32)
    (local $vx v128) (local $vw v128) (local $vp v128) (local $va v128)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $g4 v128) (local $g5 v128)
    (local $g6 v128) (local $g7 v128) (local $g8 v128) (local $g9 v128) (local $g10 v128) (local $g11 v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $at (i32.mul (local.get $r) (local.get $rowBytes)))
      (local.set $g0 (v128.const i64x2 0 0)) (local.set $g1 (v128.const i64x2 0 0)) (local.set $g2 (v128.const i64x2 0 0))
      (local.set $g3 (v128.const i64x2 0 0)) (local.set $g4 (v128.const i64x2 0 0)) (local.set $g5 (v128.const i64x2 0 0))
      (local.set $g6 (v128.const i64x2 0 0)) (local.set $g7 (v128.const i64x2 0 0)) (local.set $g8 (v128.const i64x2 0 0))
      (local.set $g9 (v128.const i64x2 0 0)) (local.set $g10 (v128.const i64x2 0 0)) (local.set $g11 (v128.const i64x2 0 0))
      (local.set $c (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $rowBytes)))
        (local.set $o (i32.add (local.get $at) (local.get $c)))
        (local.set $vx (v128.load (i32.add (local.get $x) (local.get $o))))
        (local.set $vw (v128.load (i32.add (local.get $w) (local.get $o))))
        (local.set $vp (v128.load (i32.add (local.get $p) (local.get $o))))
        (local.set $g0 (f32x4.add (local.get $g0) (f32x4.mul (local.get $vx) (local.get $vx))))
        (local.set $g1 (f32x4.add (local.get $g1) (f32x4.mul (local.get $vx) (local.get $vw))))
        (local.set $g2 (f32x4.add (local.get $g2) (f32x4.mul (local.get $vx) (local.get $vp))))
        (local.set $g3 (f32x4.add (local.get $g3) (f32x4.mul (local.get $vw) (local.get $vw))))
        (local.set $g4 (f32x4.add (local.get $g4) (f32x4.mul (local.get $vw) (local.get $vp))))
        (local.set $g5 (f32x4.add (local.get $g5) (f32x4.mul (local.get $vp) (local.get $vp))))
        (local.set $va (v128.load (i32.add (local.get $ax) (local.get $o))))
        (local.set $g6 (f32x4.add (local.get $g6) (f32x4.mul (local.get $vx) (local.get $va))))
        (local.set $va (v128.load (i32.add (local.get $aw) (local.get $o))))
        (local.set $g7 (f32x4.add (local.get $g7) (f32x4.mul (local.get $vx) (local.get $va))))
        (local.set $g9 (f32x4.add (local.get $g9) (f32x4.mul (local.get $vw) (local.get $va))))
        (local.set $va (v128.load (i32.add (local.get $ap) (local.get $o))))
        (local.set $g8 (f32x4.add (local.get $g8) (f32x4.mul (local.get $vx) (local.get $va))))
        (local.set $g10 (f32x4.add (local.get $g10) (f32x4.mul (local.get $vw) (local.get $va))))
        (local.set $g11 (f32x4.add (local.get $g11) (f32x4.mul (local.get $vp) (local.get $va))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next)))
      (local.set $o (i32.add (local.get $g) (i32.mul (local.get $r) (i32.const 96))))
      (f64.store offset=0 (local.get $o) (call $hsum4 (local.get $g0)))
      (f64.store offset=8 (local.get $o) (call $hsum4 (local.get $g1)))
      (f64.store offset=16 (local.get $o) (call $hsum4 (local.get $g2)))
      (f64.store offset=24 (local.get $o) (call $hsum4 (local.get $g3)))
      (f64.store offset=32 (local.get $o) (call $hsum4 (local.get $g4)))
      (f64.store offset=40 (local.get $o) (call $hsum4 (local.get $g5)))
      (f64.store offset=48 (local.get $o) (call $hsum4 (local.get $g6)))
      (f64.store offset=56 (local.get $o) (call $hsum4 (local.get $g7)))
      (f64.store offset=64 (local.get $o) (call $hsum4 (local.get $g8)))
      (f64.store offset=72 (local.get $o) (call $hsum4 (local.get $g9)))
      (f64.store offset=80 (local.get $o) (call $hsum4 (local.get $g10)))
      (f64.store offset=88 (local.get $o) (call $hsum4 (local.get $g11)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; Per row, with its coefficients c0 … c4 (float32, six per row): x ← c0 x + c1 w + c2 p, p ← c3 w + c4 p; Ax and Ap alike.
  (func (export "combine") (param $x i32) (param $w i32) (param $p i32) (param $ax i32) (param $aw i32) (param $ap i32)
      (param $coef i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $c i32) (local $rowBytes i32) (local $at i32) (local $o i32) (local $k i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $c4 v128) (local $vw v128) (local $vp v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $at (i32.mul (local.get $r) (local.get $rowBytes)))
      (local.set $k (i32.add (local.get $coef) (i32.mul (local.get $r) (i32.const 24))))
      (local.set $c0 (f32x4.splat (f32.load offset=0 (local.get $k))))
      (local.set $c1 (f32x4.splat (f32.load offset=4 (local.get $k))))
      (local.set $c2 (f32x4.splat (f32.load offset=8 (local.get $k))))
      (local.set $c3 (f32x4.splat (f32.load offset=12 (local.get $k))))
      (local.set $c4 (f32x4.splat (f32.load offset=16 (local.get $k))))
      (local.set $c (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $rowBytes)))
        (local.set $o (i32.add (local.get $at) (local.get $c)))
        (local.set $vw (v128.load (i32.add (local.get $w) (local.get $o))))
        (local.set $vp (v128.load (i32.add (local.get $p) (local.get $o))))
        (v128.store (i32.add (local.get $x) (local.get $o))
          (f32x4.add (f32x4.add (f32x4.mul (local.get $c0) (v128.load (i32.add (local.get $x) (local.get $o)))) (f32x4.mul (local.get $c1) (local.get $vw))) (f32x4.mul (local.get $c2) (local.get $vp))))
        (v128.store (i32.add (local.get $p) (local.get $o)) (f32x4.add (f32x4.mul (local.get $c3) (local.get $vw)) (f32x4.mul (local.get $c4) (local.get $vp))))
        (local.set $vw (v128.load (i32.add (local.get $aw) (local.get $o))))
        (local.set $vp (v128.load (i32.add (local.get $ap) (local.get $o))))
        (v128.store (i32.add (local.get $ax) (local.get $o))
          (f32x4.add (f32x4.add (f32x4.mul (local.get $c0) (v128.load (i32.add (local.get $ax) (local.get $o)))) (f32x4.mul (local.get $c1) (local.get $vw))) (f32x4.mul (local.get $c2) (local.get $vp))))
        (v128.store (i32.add (local.get $ap) (local.get $o)) (f32x4.add (f32x4.mul (local.get $c3) (local.get $vw)) (f32x4.mul (local.get $c4) (local.get $vp))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))
  ;; Per row: out = s ⊙ v (the scale rows s of the factored J Jᵀ).
  (func (export "scaleRows") (param $v i32) (param $s i32) (param $out i32) (param $rows i32) (param $n i32)
    (local $c i32) (local $end i32)
    (local.set $end (i32.mul (i32.mul (local.get $rows) (local.get $n)) (i32.const 4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
      (v128.store (i32.add (local.get $out) (local.get $c))
        (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $c))) (v128.load (i32.add (local.get $s) (local.get $c)))))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (br $next))))

  ;; Per row r: y ← s ⊙ y + ι[r]·v, the product's second half (y holds (s ⊙ v) G; ι float32 per row).
  (func (export "finishOuter") (param $y i32) (param $v i32) (param $s i32) (param $iota i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $c i32) (local $rowBytes i32) (local $o i32) (local $end i32) (local $i v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $i (f32x4.splat (f32.load (i32.add (local.get $iota) (i32.shl (local.get $r) (i32.const 2))))))
      (local.set $c (i32.mul (local.get $r) (local.get $rowBytes)))
      (local.set $end (i32.add (local.get $c) (local.get $rowBytes)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
        (v128.store (i32.add (local.get $y) (local.get $c))
          (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $s) (local.get $c))) (v128.load (i32.add (local.get $y) (local.get $c))))
            (f32x4.mul (local.get $i) (v128.load (i32.add (local.get $v) (local.get $c))))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $next)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))
)
