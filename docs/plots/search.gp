# Full-text search time vs store size (search.dat is written by the quick benchmark).
set terminal pngcairo size 640,400 font "sans,9"
set grid
set key top left
set logscale x
set logscale y
set format x "%.0s%c"
set output "search.png"
set title "Full-text search, top 20 with snippets (median)"
set xlabel "messages in the store"
set ylabel "ms"
plot "search.dat" using 1:3 with linespoints title "store SearchAsync, 2 common words", \
     "search.dat" using 1:6 with linespoints title "raw FTS5, 2 common words, newest 5,000 ranked", \
     "search.dat" using 1:7 with linespoints title "store SearchAsync, 2 common words, exhaustive", \
     "search.dat" using 1:2 with linespoints title "raw FTS5, 2 common words, every match ranked", \
     "search.dat" using 1:5 with linespoints title "store SearchAsync, rare word", \
     "search.dat" using 1:4 with linespoints title "raw FTS5, rare word"
