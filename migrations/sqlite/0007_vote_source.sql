-- Where a film's vote_count and vote_average come from: 'movielens' (ratings in a MovieLens
-- data set, mean times two), 'tmdb' (TMDB votes) or NULL (none known). Reasons name it ("4.2★
-- from 1,234 MovieLens ratings"). Until now only TMDB imports stored votes.
ALTER TABLE movies ADD COLUMN vote_source TEXT;
UPDATE movies SET vote_source = 'tmdb' WHERE vote_count > 0;
